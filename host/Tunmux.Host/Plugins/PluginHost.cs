using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using McMaster.NETCore.Plugins;
using Tunmux.Contracts;

namespace Tunmux.Host.Plugins;

/// <summary>
/// A plugin loaded in its own load context. Nothing to release: a plugin lives as long as the
/// command that loaded it (its context is not collectible).
/// </summary>
public sealed record LoadedPlugin(PluginCandidate Candidate, IVpnProvider Provider, string Version);

/// <summary>
/// Loads one plugin with McMaster.NETCore.Plugins' <see cref="PluginLoader"/>: a load context of its own
/// that resolves the plugin's dependencies (managed and native) from its <c>.deps.json</c> and folder,
/// sharing only the plugin API with the host, so a plugin may carry its own version of any other
/// library. The contracts major version is read from the plugin's metadata before anything of it is loaded.
/// </summary>
public static class PluginHost
{
    /// <summary>
    /// The assemblies host and plugin must see as one: the contracts (an <see cref="IVpnProvider"/> is the
    /// same type on both sides) and the command-line attributes and types the contracts' verb classes use.
    /// </summary>
    public static Type[] SharedTypes { get; } = [typeof(IVpnProvider), typeof(CommandLine.Parser)];

    public static LoadedPlugin Load(PluginCandidate candidate)
    {
        if (!File.Exists(candidate.AssemblyPath))
            throw new PluginLoadException("missing", $"plugin '{candidate.Name}' is broken: {candidate.AssemblyPath} does not exist; reinstall the plugin or remove {candidate.Directory}");

        CheckContractsVersion(candidate);

        Assembly assembly;
        try
        {
            // Not unloadable: a plugin lives as long as the command that loaded it.
            // Lazily: the shared assemblies' own references join the shared set when first asked for, instead of the
            // whole closure being loaded up front. CommandLineParser targets netstandard2.0, whose facade references
            // about a hundred framework assemblies: loading them all cost more than anything else in a plugin's start.
            var loader = PluginLoader.CreateFromAssemblyFile(Path.GetFullPath(candidate.AssemblyPath), SharedTypes, config => config.IsLazyLoaded = true);
            assembly = loader.LoadDefaultAssembly();
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or IOException or InvalidOperationException)
        {
            throw new PluginLoadException("broken", $"plugin '{candidate.Name}' is broken: cannot load {candidate.AssemblyPath}: {e.Message}", e);
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
