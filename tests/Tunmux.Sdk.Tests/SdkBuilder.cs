using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Tunmux.Privileged.Processes;

namespace Tunmux.Sdk.Tests;

/// <summary>
/// Builds the plugin template the way an author outside this repository would: the contracts are
/// packed into a local feed, the template is copied to a folder outside the solution, and it is
/// published against that package alone (a NuGet.config that clears every other source and uses a
/// private package cache, so nothing stale or foreign is picked up).
/// </summary>
public static class SdkBuilder
{
    /// <summary>The template's provider name: its folder, assembly and <c>IVpnProvider.Name</c>.</summary>
    public const string PluginName = "templatevpn";

    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The repository root (the folder holding <c>contracts/</c> and <c>samples/</c>).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>
    /// Packs the contracts as version <c>&lt;major&gt;.0.0</c> (assembly version <c>&lt;major&gt;.0.0.0</c>,
    /// <c>ContractsVersion.Major = major</c>) into <c>&lt;workDir&gt;/feed-v&lt;major&gt;</c>, from a copy of the
    /// sources so the repository's own build output is untouched. Returns the .nupkg path.
    /// </summary>
    public static string PackContracts(string workDir, int contractsMajor)
    {
        var src = Path.Combine(workDir, $"contracts-src-v{contractsMajor}");
        var feed = Path.Combine(workDir, $"feed-v{contractsMajor}");
        var project = Path.Combine(src, "contracts", "Tunmux.Contracts");
        Directory.CreateDirectory(project);
        File.Copy(Path.Combine(RepositoryRoot, "Directory.Build.props"), Path.Combine(src, "Directory.Build.props"), overwrite: true);
        File.Copy(Path.Combine(RepositoryRoot, "Directory.Packages.props"), Path.Combine(src, "Directory.Packages.props"), overwrite: true);
        var contracts = Path.Combine(RepositoryRoot, "contracts", "Tunmux.Contracts");
        foreach (var file in Directory.EnumerateFiles(contracts, "*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(contracts, file);
            if (IsBuildOutput(relative)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(project, relative))!);
            File.Copy(file, Path.Combine(project, relative), overwrite: true);
        }

        // The version constant must agree with the package version the plugin is built against.
        var versionFile = Path.Combine(project, "ContractsVersion.cs");
        var text = File.ReadAllText(versionFile);
        const string marker = "public const int Major = ";
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"{versionFile} has no '{marker}' line");
        var end = text.IndexOf(';', at);
        File.WriteAllText(versionFile, text[..(at + marker.Length)] + contractsMajor + text[end..]);

        Dotnet("pack", Path.Combine(project, "Tunmux.Contracts.csproj"), "-c", "Release", "-o", feed, $"-p:Version={contractsMajor}.0.0");
        var package = Path.Combine(feed, $"Tunmux.Contracts.{contractsMajor}.0.0.nupkg");
        if (!File.Exists(package)) throw new InvalidOperationException($"dotnet pack did not produce {package}");
        // The contracts depend on CommandLineParser: the feed carries it too, from the package cache the repository restored.
        File.Copy(CommandLineParserPackage(), Path.Combine(feed, Path.GetFileName(CommandLineParserPackage())), overwrite: true);
        return package;
    }

    /// <summary>
    /// Packs the contracts as <paramref name="contractsMajor"/>.0.0, copies <c>samples/PluginTemplate</c> to
    /// <c>&lt;workDir&gt;/template-v&lt;major&gt;</c> and publishes it against that package alone. Returns the plugin
    /// folder <c>&lt;workDir&gt;/plugins-v&lt;major&gt;/templatevpn</c> (holding <c>templatevpn.dll</c>); its parent is
    /// what goes into <c>TUNMUX_PLUGIN_PATH</c>.
    /// </summary>
    public static string BuildTemplatePlugin(string workDir, int contractsMajor)
    {
        var package = PackContracts(workDir, contractsMajor);
        var project = Path.Combine(workDir, $"template-v{contractsMajor}");
        CopyTree(Path.Combine(RepositoryRoot, "samples", "PluginTemplate"), project);
        WriteNuGetConfig(project, Path.GetDirectoryName(package)!, Path.Combine(workDir, $"packages-v{contractsMajor}"));

        var pluginDir = Path.Combine(workDir, $"plugins-v{contractsMajor}", PluginName);
        Dotnet("publish", Path.Combine(project, PluginName + ".csproj"), "-c", "Release", "-o", pluginDir,
            $"-p:TunmuxContractsVersion={contractsMajor}.0.0");
        if (!File.Exists(Path.Combine(pluginDir, PluginName + ".dll")))
            throw new InvalidOperationException($"dotnet publish did not produce {pluginDir}/{PluginName}.dll");
        return pluginDir;
    }

    /// <summary>The CommandLineParser .nupkg of the version Directory.Packages.props names, from the NuGet package cache.</summary>
    public static string CommandLineParserPackage()
    {
        var props = File.ReadAllText(Path.Combine(RepositoryRoot, "Directory.Packages.props"));
        var version = System.Text.RegularExpressions.Regex.Match(props, "Include=\"CommandLineParser\" Version=\"([^\"]+)\"").Groups[1].Value;
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
            ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var package = Path.Combine(cache, "commandlineparser", version, $"commandlineparser.{version}.nupkg");
        return File.Exists(package) ? package : throw new InvalidOperationException($"CommandLineParser {version} is not in the package cache ({package}); run dotnet restore first");
    }

    /// <summary>A NuGet.config that knows only the local feed and keeps its own package cache.</summary>
    public static void WriteNuGetConfig(string folder, string feed, string packagesFolder) =>
        File.WriteAllText(Path.Combine(folder, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packagesFolder}" />
              </config>
              <packageSources>
                <clear />
                <add key="tunmux-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

    /// <summary>The Tunmux.Contracts version an assembly references, read from its metadata without loading it.</summary>
    public static Version? ReferencedContractsVersion(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        foreach (var handle in md.AssemblyReferences)
        {
            var reference = md.GetAssemblyReference(handle);
            if (md.GetString(reference.Name) == "Tunmux.Contracts") return reference.Version;
        }
        return null;
    }

    /// <summary>Runs the dotnet CLI without build servers (nothing stays running after the test) and throws with its output on failure.</summary>
    public static string Dotnet(params string[] args) => Dotnet(null, args);

    public static string Dotnet(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_UI_LANGUAGE"] = "en",
        };
        if (environment is not null)
            foreach (var (k, v) in environment) env[k] = v;
        var fullArgs = new List<string>(args);
        if (args.Length > 0 && args[0] is "build" or "publish" or "pack")
            fullArgs.AddRange(["--disable-build-servers", "-p:UseSharedCompilation=false", "-nologo"]);

        // NuGet reads the NuGet.config beside the project (walking up from it), so no working directory is needed.
        var result = ProcessRunner.Default.RunAsync(DotnetExecutable(), fullArgs, timeout: DotnetTimeout, environment: env).GetAwaiter().GetResult();
        if (!result.Succeeded)
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed ({result.ExitCode}):\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The dotnet that runs the tests (DOTNET_HOST_PATH under dotnet test), else the one on PATH.</summary>
    public static string DotnetExecutable() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, dir);
            if (IsBuildOutput(rel)) continue;
            Directory.CreateDirectory(Path.Combine(to, rel));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, file);
            if (IsBuildOutput(rel)) continue;
            File.Copy(file, Path.Combine(to, rel), overwrite: true);
        }
    }

    private static bool IsBuildOutput(string relative)
    {
        var first = relative.Split(Path.DirectorySeparatorChar)[0];
        return first is "bin" or "obj" or "out";
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "contracts", "Tunmux.Contracts", "Tunmux.Contracts.csproj"))
                && Directory.Exists(Path.Combine(dir.FullName, "samples", "PluginTemplate")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"cannot find the repository root above {AppContext.BaseDirectory}");
    }
}
