using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Privileged.Processes;
using Tunmux.TestSupport;

namespace Tunmux.Sdk.Tests;

/// <summary>
/// The SDK as an author outside the repository meets it: the packed contracts, the template built
/// against them in a temporary folder, and a variant built for a newer contracts major.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SdkTests
{
    private TempDir _work = null!;
    private string _pluginV1 = null!;
    private string _pluginV2 = null!;

    [OneTimeSetUp]
    public void BuildOnce()
    {
        Requires.Command("dotnet", "the .NET SDK");
        _work = new TempDir("tunmux-sdk-");
        _pluginV1 = SdkBuilder.BuildTemplatePlugin(_work.Path, 1);
        _pluginV2 = SdkBuilder.BuildTemplatePlugin(_work.Path, 2);
    }

    [OneTimeTearDown]
    public void CleanUp() => _work?.Dispose();

    [Test]
    public void WorkFolderIsOutsideTheRepository() =>
        Assert.That(_work.Path, Does.Not.StartWith(SdkBuilder.RepositoryRoot));

    [Test]
    public void PackageIsVersionedWithDocsAndReadme()
    {
        var package = Path.Combine(_work.Path, "feed-v1", "Tunmux.Contracts.1.0.0.nupkg");
        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(names, Does.Contain("lib/net10.0/Tunmux.Contracts.dll"));
        Assert.That(names, Does.Contain("lib/net10.0/Tunmux.Contracts.xml"), "XML docs ship with the package");
        Assert.That(names, Does.Contain("README.md"));

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        var text = readme.ReadToEnd();
        Assert.That(text, Does.Contain("EnableDynamicLoading").And.Contain("ExcludeAssets=\"runtime\"")
            .And.Contain("TUNMUX_PLUGIN_PATH").And.Contain("~/.local/share/tunmux/plugins/").And.Contain("same major"));

        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "id").Value, Is.EqualTo("Tunmux.Contracts"));
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "version").Value, Is.EqualTo("1.0.0"));
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "readme").Value, Is.EqualTo("README.md"));
    }

    [Test]
    public void TemplateBuildsIntoAPluginFolderWithoutTheContracts()
    {
        Assert.That(Path.GetFileName(_pluginV1), Is.EqualTo(SdkBuilder.PluginName), "<plugins>/<name>/<name>.dll");
        var files = Directory.GetFiles(_pluginV1).Select(Path.GetFileName).ToList();
        Assert.That(files, Does.Contain("templatevpn.dll").And.Contain("templatevpn.deps.json"));
        Assert.That(files, Does.Not.Contain("Tunmux.Contracts.dll"), "the host supplies the contracts");
        Assert.That(SdkBuilder.ReferencedContractsVersion(Path.Combine(_pluginV1, "templatevpn.dll")), Is.EqualTo(new Version(1, 0, 0, 0)));
        Assert.That(File.ReadAllText(Path.Combine(_pluginV1, "templatevpn.deps.json")), Does.Not.Contain("Tunmux.Contracts.dll"));
    }

    [Test]
    public async Task TemplatePluginWorksWhenLoadedLikeTheHostLoadsIt()
    {
        var (provider, loadContext) = PluginLoading.Load(Path.Combine(_pluginV1, "templatevpn.dll"));
        try
        {
            var context = new MinimalContext();
            provider.Initialize(context);
            Assert.That(provider.Name, Is.EqualTo("templatevpn"));
            Assert.That(provider.Describe().Verbs.Select(v => v.Name), Is.EqualTo(new[] { "hello" }));

            Assert.That(await provider.RunVerbAsync(new VerbInvocation { Path = ["hello"], Options = ParsedOptions.Empty }, default), Is.EqualTo(0));
            Assert.That(context.Output.ToString(), Does.Contain("hello from templatevpn (plugin API 1.0)"));

            var servers = await provider.ListServersAsync(new ServerQuery { Country = "nl", Options = ParsedOptions.Empty }, default);
            Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "NL#1" }));

            await provider.LoginAsync(new LoginRequest { Username = "alice", Password = "pw", Options = ParsedOptions.Empty }, default);
            Assert.That(context.Items.Keys, Is.EquivalentTo(new[] { "session.json" }));
            Assert.That(context.Items["session.json"], Does.Not.Contain("pw"));
            Assert.That((await provider.GetInfoAsync(new InfoRequest { Options = ParsedOptions.Empty }, default)).Username, Is.EqualTo("alice"));

            var plan = await provider.PrepareConnectAsync(new ConnectRequest { Country = "us", Options = ParsedOptions.Empty }, default);
            Assert.That(plan.Server.Name, Is.EqualTo("US#1"));
            Assert.That(Convert.FromBase64String(plan.Profile.PrivateKey), Has.Length.EqualTo(32));

            await provider.LogoutAsync(default);
            Assert.That(context.Items, Is.Empty);
        }
        finally
        {
            loadContext.Dispose();
        }
    }

    [Test]
    public void NewerMajorVariantReferencesContractsTwo()
    {
        var dll = Path.Combine(_pluginV2, "templatevpn.dll");
        Assert.That(File.Exists(dll), Is.True);
        Assert.That(SdkBuilder.ReferencedContractsVersion(dll)!.Major, Is.EqualTo(2));
        Assert.That(ContractsVersion.Major, Is.EqualTo(1), "the variant is newer than the contracts this repository builds");
        Assert.That(Directory.GetFiles(_pluginV2).Select(Path.GetFileName), Does.Not.Contain("Tunmux.Contracts.dll"));
    }

    [Test]
    public void DotnetNewTemplateCreatesARenamedPlugin()
    {
        // A private CLI home keeps the template registration away from the user's own.
        var cliHome = Path.Combine(_work.Path, "cli-home");
        var env = new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = cliHome };
        SdkBuilder.Dotnet(env, "new", "install", Path.Combine(SdkBuilder.RepositoryRoot, "samples", "PluginTemplate"));
        var project = Path.Combine(_work.Path, "myvpn");
        SdkBuilder.Dotnet(env, "new", "tunmux-plugin", "-n", "myvpn", "-o", project);
        Assert.That(File.Exists(Path.Combine(project, "myvpn.csproj")), Is.True);
        Assert.That(File.ReadAllText(Path.Combine(project, "TemplateVpnProvider.cs")), Does.Contain("public string Name => \"myvpn\";"));

        SdkBuilder.WriteNuGetConfig(project, Path.Combine(_work.Path, "feed-v1"), Path.Combine(_work.Path, "packages-v1"));
        var pluginDir = Path.Combine(_work.Path, "plugins-new", "myvpn");
        SdkBuilder.Dotnet(env, "publish", Path.Combine(project, "myvpn.csproj"), "-c", "Release", "-o", pluginDir);
        Assert.That(File.Exists(Path.Combine(pluginDir, "myvpn.dll")), Is.True);
        Assert.That(File.Exists(Path.Combine(pluginDir, "Tunmux.Contracts.dll")), Is.False);
    }

    /// <summary>
    /// The template plugin through the tunmux executable: dropped into TUNMUX_PLUGIN_PATH, its verbs run;
    /// the variant built for contracts 2.x is refused with one line. Needs TUNMUX_TEST_HOST (path of tunmux.dll).
    /// </summary>
    [Test]
    public async Task RunsThroughTheTunmuxExecutable()
    {
        var host = Environment.GetEnvironmentVariable("TUNMUX_TEST_HOST");
        if (string.IsNullOrEmpty(host))
            Assert.Ignore("needs TUNMUX_TEST_HOST=<path of tunmux.dll>: runs the template plugin through the tunmux executable");
        Assert.That(File.Exists(host), Is.True, $"TUNMUX_TEST_HOST={host} does not exist");

        using var config = new TempDir("tunmux-sdk-config-");
        var v1Plugins = Path.GetDirectoryName(_pluginV1)!;
        var hello = await TunmuxAsync(host!, v1Plugins, config.Path, SdkBuilder.PluginName, "hello");
        Assert.That(hello.ExitCode, Is.EqualTo(0), hello.StandardError);
        Assert.That(hello.StandardOutput, Does.Contain("hello from templatevpn (plugin API 1.0)"));

        var servers = await TunmuxAsync(host!, v1Plugins, config.Path, SdkBuilder.PluginName, "servers");
        Assert.That(servers.ExitCode, Is.EqualTo(0), servers.StandardError);
        Assert.That(servers.StandardOutput, Does.Contain("NL#1").And.Contain("US#1"));

        var refused = await TunmuxAsync(host!, Path.GetDirectoryName(_pluginV2)!, config.Path, SdkBuilder.PluginName, "hello");
        Assert.That(refused.ExitCode, Is.Not.EqualTo(0));
        var lines = refused.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), refused.StandardError);
        Assert.That(lines[0], Does.Contain("templatevpn").And.Contain("incompatible").And.Contain("2.x"));
    }

    private static Task<ProcessResult> TunmuxAsync(string host, string pluginPath, string configDir, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["TUNMUX_PLUGIN_PATH"] = pluginPath,
            ["TUNMUX_CONFIG_DIR"] = configDir,
            ["XDG_DATA_HOME"] = Path.Combine(configDir, "data"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        var (file, argv) = host.EndsWith(".dll", StringComparison.Ordinal)
            ? (SdkBuilder.DotnetExecutable(), (IReadOnlyList<string>)[host, .. args])
            : (host, args);
        return ProcessRunner.Default.RunAsync(file, argv, timeout: TimeSpan.FromSeconds(60), environment: env);
    }
}
