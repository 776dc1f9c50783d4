using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins.Loader;
using Tunmux.Contracts;

namespace Tunmux.Host.Plugins;

/// <summary>
/// A plugin loaded in its own load context. Nothing to release: a plugin lives as long as the
/// command that loaded it (its context is not collectible).
/// </summary>
public sealed record LoadedPlugin(PluginCandidate Candidate, IVpnProvider Provider, string Version);

/// <summary>
/// Loads one plugin into McMaster.NETCore.Plugins' load context: a context of its own that resolves the plugin's
/// dependencies (managed and native) from its <c>.deps.json</c> and folder, sharing only the plugin API with the
/// host, so a plugin may carry its own version of any other library. The contracts major version is read from the
/// plugin's metadata before anything of it is loaded.
/// </summary>
public static class PluginHost
{
    /// <summary>
    /// The assemblies host and plugin must see as one: the contracts (an <see cref="IVpnProvider"/> is the
    /// same type on both sides) and the command-line attributes and types the contracts' verb classes use.
    /// </summary>
    public static Type[] SharedTypes { get; } = [typeof(IVpnProvider), typeof(CommandLine.Parser)];

    public static LoadedPlugin Load(PluginCandidate candidate) => Load(candidate, wanted: () => true)!;

    /// <summary>
    /// The checks, then the plugin loaded only if <paramref name="wanted"/> still says so once they passed (null otherwise):
    /// nothing of it is loaded before its version is known to fit.
    /// </summary>
    public static LoadedPlugin? Load(PluginCandidate candidate, Func<bool> wanted)
    {
        CheckPresent(candidate);
        CheckContractsVersion(candidate);
        return wanted() ? Load(candidate, Prepare(candidate)) : null;
    }

    /// <summary>Refuses a plugin whose assembly is not where its folder says.</summary>
    public static void CheckPresent(PluginCandidate candidate)
    {
        if (!File.Exists(candidate.AssemblyPath))
            throw new PluginLoadException("missing", $"plugin '{candidate.Name}' is broken: {candidate.AssemblyPath} does not exist; reinstall the plugin or remove {candidate.Directory}");
    }

    /// <summary>
    /// McMaster's load context for the plugin, resolving from its folder and <c>.deps.json</c>; nothing of the plugin is
    /// loaded yet, so this may run beside <see cref="CheckContractsVersion"/> (a command does it on another core).
    /// </summary>
    public static AssemblyLoadContext Prepare(PluginCandidate candidate)
    {
        try
        {
            // McMaster's builder, configured as PluginLoader.CreateFromAssemblyFile(path, SharedTypes, c => c.IsLazyLoaded = true)
            // configures it, for the same ManagedLoadContext. Not through PluginLoader itself: on top of this it reads the
            // plugin's and the host's *.runtimeconfig.json with reflection-based System.Text.Json and asks for
            // Process.MainModule, looking for extra probing paths that a published plugin folder never has: about 60 of the
            // 65 ms a load took, on the path of every provider command (docs/performance.md, sixth run).
            // Not unloadable: a plugin lives as long as the command that loaded it.
            // Lazily: the shared assemblies' own references join the shared set when first asked for, instead of the
            // whole closure being loaded up front. CommandLineParser targets netstandard2.0, whose facade references
            // about a hundred framework assemblies: loading them all cost more than anything else in a plugin's start.
            var builder = new AssemblyLoadContextBuilder()
                .SetMainAssemblyPath(Path.GetFullPath(candidate.AssemblyPath))
                .IsLazyLoaded(true);
            foreach (var shared in SharedTypes.Select(t => t.Assembly).Distinct())
                builder.PreferDefaultLoadContextAssembly(shared.GetName());
            return builder.Build();
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or IOException or InvalidOperationException)
        {
            throw Broken(candidate, e);
        }
    }

    /// <summary>The checks and <see cref="Prepare"/> on a thread of its own, for a command to do other work meanwhile.</summary>
    public static PluginPreparation PrepareAside(PluginCandidate candidate) => new(candidate);

    /// <summary>Loads the plugin through its prepared context, once <see cref="CheckContractsVersion"/> passed.</summary>
    public static LoadedPlugin Load(PluginCandidate candidate, AssemblyLoadContext context)
    {
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(Path.GetFullPath(candidate.AssemblyPath));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or IOException or InvalidOperationException)
        {
            throw Broken(candidate, e);
        }

        var attribute = assembly.GetCustomAttribute<TunmuxPluginAttribute>()
            ?? throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: {Path.GetFileName(candidate.AssemblyPath)} has no [assembly: TunmuxPlugin(...)] attribute");
        if (!typeof(IVpnProvider).IsAssignableFrom(attribute.ProviderType))
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: {attribute.ProviderType.FullName} does not implement IVpnProvider");

        IVpnProvider provider;
        try
        {
            provider = (IVpnProvider)Activator.CreateInstance(attribute.ProviderType)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: its provider failed to start: {e.InnerException.Message}", e.InnerException);
        }
        catch (MissingMethodException e)
        {
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: {attribute.ProviderType.FullName} needs a public parameterless constructor", e);
        }
        if (provider.Name != candidate.Name)
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: its provider calls itself '{provider.Name}'; the folder and assembly must carry the provider's name");

        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return new LoadedPlugin(candidate, provider, version);
    }

    private static PluginLoadException Broken(PluginCandidate candidate, Exception e) =>
        new("broken", $"plugin '{candidate.Name}' is broken: cannot load {candidate.AssemblyPath}: {e.Message}", e);

    /// <summary>Refuses a plugin built against another contracts major, without loading it.</summary>
    public static void CheckContractsVersion(PluginCandidate candidate)
    {
        Version? referenced = null;
        try
        {
            using var stream = File.OpenRead(candidate.AssemblyPath);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            foreach (var handle in md.AssemblyReferences)
            {
                var reference = md.GetAssemblyReference(handle);
                if (md.GetString(reference.Name) == "Tunmux.Contracts") referenced = reference.Version;
            }
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException)
        {
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: {candidate.AssemblyPath} is not a .NET assembly", e);
        }

        if (referenced is null)
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: it does not reference Tunmux.Contracts, so it is not a tunmux plugin");
        if (referenced.Major != ContractsVersion.Major)
            throw new PluginLoadException("incompatible",
                $"plugin '{candidate.Name}' is incompatible: built for plugin API {referenced.Major}.x, this tunmux provides {ContractsVersion.Major}.{ContractsVersion.Minor}; install a build of the plugin for API {ContractsVersion.Major}.x");
    }
}

/// <summary>
/// A plugin made ready on a thread of its own while the command does other work: its contracts version is checked
/// (its metadata read, nothing of it loaded) at once; once the command confirms it needs the plugin
/// (<see cref="Proceed"/>), McMaster's load context is built and the plugin loaded into it and its provider created.
/// A command that turns out not to (the host's bookkeeping verbs) disposes it undecided and nothing more is read.
/// </summary>
public sealed class PluginPreparation : IDisposable
{
    private readonly object _gate = new();
    private readonly Task<LoadedPlugin?> _plugin;
    private bool? _proceed;

    internal PluginPreparation(PluginCandidate candidate) =>
        _plugin = Cli.SideThread.Start("plugin " + candidate.Name, () => PluginHost.Load(candidate, wanted: Decided));

    /// <summary>The command needs the plugin: load it once the version check passed.</summary>
    public void Proceed() => Decide(true);

    /// <summary>Waits for the loaded plugin (<see cref="Proceed"/> first); what checking or loading threw is thrown here.</summary>
    public LoadedPlugin Result()
    {
        Proceed();
        return _plugin.GetAwaiter().GetResult()!;
    }

    /// <summary>Undecided until now: the command did not need the plugin; nothing more is read.</summary>
    public void Dispose() => Decide(false);

    private void Decide(bool proceed)
    {
        lock (_gate)
        {
            _proceed ??= proceed;
            Monitor.PulseAll(_gate);
        }
    }

    private bool Decided()
    {
        lock (_gate)
        {
            while (_proceed is null) Monitor.Wait(_gate);
            return _proceed.Value;
        }
    }
}
