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
    private string _plugin = null!;
    private string _pluginNext = null!;

    /// <summary>The contracts major this repository builds, and one a future tunmux would have.</summary>
    private static readonly int Major = ContractsVersion.Major;
    private static readonly int NextMajor = ContractsVersion.Major + 1;

    [OneTimeSetUp]
    public void BuildOnce()
    {
        Requires.Command("dotnet", "the .NET SDK");
        _work = new TempDir("tunmux-sdk-");
        _plugin = SdkBuilder.BuildTemplatePlugin(_work.Path, Major);
        _pluginNext = SdkBuilder.BuildTemplatePlugin(_work.Path, NextMajor);
    }

    [OneTimeTearDown]
    public void CleanUp() => _work?.Dispose();

    [Test]
    public void WorkFolderIsOutsideTheRepository() =>
        Assert.That(_work.Path, Does.Not.StartWith(SdkBuilder.RepositoryRoot));

    [Test]
    public void PackageIsVersionedWithDocsAndReadme()
    {
        var package = Path.Combine(_work.Path, $"feed-v{Major}", $"Tunmux.Contracts.{Major}.0.0.nupkg");
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
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "version").Value, Is.EqualTo($"{Major}.0.0"));
        Assert.That(nuspec.ToString(), Does.Contain("CommandLineParser"), "the verbs are CommandLineParser classes: the package depends on it");
        Assert.That(metadata.Elements().Single(e => e.Name.LocalName == "readme").Value, Is.EqualTo("README.md"));
    }

    [Test]
    public void TemplateBuildsIntoAPluginFolderWithoutTheContracts()
    {
        Assert.That(Path.GetFileName(_plugin), Is.EqualTo(SdkBuilder.PluginName), "<plugins>/<name>/<name>.dll");
        var files = Directory.GetFiles(_plugin).Select(Path.GetFileName).ToList();
        Assert.That(files, Does.Contain("templatevpn.dll").And.Contain("templatevpn.deps.json"));
        Assert.That(files, Does.Not.Contain("Tunmux.Contracts.dll").And.Not.Contain("CommandLine.dll"), "the host supplies the contracts and CommandLineParser");
        Assert.That(SdkBuilder.ReferencedContractsVersion(Path.Combine(_plugin, "templatevpn.dll")), Is.EqualTo(new Version(Major, 0, 0, 0)));
        Assert.That(File.ReadAllText(Path.Combine(_plugin, "templatevpn.deps.json")), Does.Not.Contain("Tunmux.Contracts.dll"));
    }

    [Test]
    public async Task TemplatePluginWorksWhenLoadedLikeTheHostLoadsIt()
    {
        var (provider, loadContext) = PluginLoading.Load(Path.Combine(_plugin, "templatevpn.dll"));
        try
        {
            var context = new MinimalContext();
            provider.Initialize(context);
            Assert.That(provider.Name, Is.EqualTo("templatevpn"));
            Assert.That(provider.Describe().Verbs.Select(v => v.Name), Is.EqualTo(new[] { "HelloOptions", "PortsGroup" }));

            Assert.That(await provider.RunVerbAsync(VerbLines.Invocation(provider, "hello"), default), Is.EqualTo(0));
            Assert.That(context.Output.ToString(), Does.Contain($"hello from templatevpn (plugin API {Major}.{ContractsVersion.Minor})"));
            Assert.That(await provider.RunVerbAsync(VerbLines.Invocation(provider, "ports add", "8080", "-p", "tcp"), default), Is.EqualTo(0));
            Assert.That(context.Output.ToString(), Does.Contain("port 8080/tcp forwarded"));

            var servers = await provider.ListServersAsync(new ServerQuery { Country = "nl", Options = new ServersOptions() }, default);
            Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "NL#1" }));

            await provider.LoginAsync(new LoginRequest { Username = "alice", Password = "pw", Options = new LoginOptions() }, default);
            Assert.That(context.Items.Keys, Is.EquivalentTo(new[] { "ports.json", "session.json" }));
            Assert.That(context.Items["session.json"], Does.Not.Contain("pw"));
            Assert.That((await provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, default)).Username, Is.EqualTo("alice"));

            var plan = await provider.PrepareConnectAsync(new ConnectRequest { Country = "us", Options = new ConnectOptions() }, default);
            Assert.That(plan.Server.Name, Is.EqualTo("US#1"));
            Assert.That(Convert.FromBase64String(plan.Profile.PrivateKey), Has.Length.EqualTo(32));

            await provider.LogoutAsync(default);
            Assert.That(context.Items.Keys, Is.EquivalentTo(new[] { "ports.json" }));
        }
        finally
        {
            loadContext.Dispose();
        }
    }

    [Test]
    public void NewerMajorVariantReferencesTheNextContracts()
    {
        var dll = Path.Combine(_pluginNext, "templatevpn.dll");
        Assert.That(File.Exists(dll), Is.True);
        Assert.That(SdkBuilder.ReferencedContractsVersion(dll)!.Major, Is.EqualTo(NextMajor));
        Assert.That(Directory.GetFiles(_pluginNext).Select(Path.GetFileName), Does.Not.Contain("Tunmux.Contracts.dll"));
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

        SdkBuilder.WriteNuGetConfig(project, Path.Combine(_work.Path, $"feed-v{Major}"), Path.Combine(_work.Path, $"packages-v{Major}"));
        var pluginDir = Path.Combine(_work.Path, "plugins-new", "myvpn");
        SdkBuilder.Dotnet(env, "publish", Path.Combine(project, "myvpn.csproj"), "-c", "Release", "-o", pluginDir);
        Assert.That(File.Exists(Path.Combine(pluginDir, "myvpn.dll")), Is.True);
        Assert.That(File.Exists(Path.Combine(pluginDir, "Tunmux.Contracts.dll")), Is.False);
    }

    /// <summary>
    /// The template plugin through the tunmux executable: dropped into TUNMUX_PLUGIN_PATH, its verbs run, its
    /// nested verb's help and usage errors read like the built-in providers'; the variant built for the next
    /// contracts major is refused with one line. Needs TUNMUX_TEST_HOST (path of tunmux.dll).
    /// </summary>
    [Test]
    public async Task RunsThroughTheTunmuxExecutable()
    {
        var host = Environment.GetEnvironmentVariable("TUNMUX_TEST_HOST");
        if (string.IsNullOrEmpty(host))
            Assert.Ignore("needs TUNMUX_TEST_HOST=<path of tunmux.dll>: runs the template plugin through the tunmux executable");
        Assert.That(File.Exists(host), Is.True, $"TUNMUX_TEST_HOST={host} does not exist");

        using var config = new TempDir("tunmux-sdk-config-");
        var plugins = Path.GetDirectoryName(_plugin)!;
        var hello = await TunmuxAsync(host!, plugins, config.Path, SdkBuilder.PluginName, "hello");
        Assert.That(hello.ExitCode, Is.EqualTo(0), hello.StandardError);
        Assert.That(hello.StandardOutput, Does.Contain($"hello from templatevpn (plugin API {Major}.{ContractsVersion.Minor})"));

        var servers = await TunmuxAsync(host!, plugins, config.Path, SdkBuilder.PluginName, "servers");
        Assert.That(servers.ExitCode, Is.EqualTo(0), servers.StandardError);
        Assert.That(servers.StandardOutput, Does.Contain("NL#1").And.Contain("US#1"));

        var add = await TunmuxAsync(host!, plugins, config.Path, SdkBuilder.PluginName, "ports", "add", "8080", "-p", "tcp", "--note", "web");
        Assert.That(add.ExitCode, Is.EqualTo(0), add.StandardError);
        var list = await TunmuxAsync(host!, plugins, config.Path, SdkBuilder.PluginName, "ports", "list", "--json");
        Assert.That(list.StandardOutput, Does.Contain("8080").And.Contain("web"));

        // Help and usage errors of the nested verb have the shape of a built-in provider's (airvpn ports add).
        var help = await TunmuxAsync(host!, plugins, config.Path, SdkBuilder.PluginName, "ports", "add", "--help");
        Assert.That(help.ExitCode, Is.EqualTo(0), help.StandardError);
        var lines = help.StandardOutput.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("Forward a port"));
            Assert.That(lines[2], Is.EqualTo("usage: tunmux templatevpn ports add [flags] <port>"));
            Assert.That(help.StandardOutput, Does.Contain("-p PROTO, --protocol=PROTO").And.Contain("--note=TEXT").And.Contain("<port>").And.Contain("--help"));
            Assert.That(help.StandardOutput, Does.Not.Contain("Copyright"));
        });
        foreach (var (words, expected) in new[]
        {
            (new[] { "ports", "add", "80" }, "error: argument <port> '80' must be an integer from 1024 to 65535"),
            (new[] { "ports", "add", "8080", "-p", "sctp" }, "error: flag '--protocol' got 'sctp'; allowed: tcp, udp, both"),
            (new[] { "ports", "add", "8080", "--bogus" }, "error: unknown flag '--bogus' for 'tunmux templatevpn ports add'"),
            (new[] { "ports", "frobnicate" }, "error: unknown command 'frobnicate' for 'tunmux templatevpn ports'"),
        })
        {
            var bad = await TunmuxAsync(host!, plugins, config.Path, [SdkBuilder.PluginName, .. words]);
            var err = bad.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Multiple(() =>
            {
                Assert.That(bad.ExitCode, Is.EqualTo(2), bad.StandardError);
                Assert.That(err, Has.Length.EqualTo(2), "one error line, then the usage line");
                Assert.That(err[0], Is.EqualTo(expected));
                Assert.That(err[1], Does.StartWith("usage: tunmux templatevpn ports"));
            });
        }

        var refused = await TunmuxAsync(host!, Path.GetDirectoryName(_pluginNext)!, config.Path, SdkBuilder.PluginName, "hello");
        Assert.That(refused.ExitCode, Is.Not.EqualTo(0));
        var refusal = refused.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(refusal, Has.Length.EqualTo(1), refused.StandardError);
        Assert.That(refusal[0], Does.Contain("templatevpn").And.Contain("incompatible").And.Contain($"{NextMajor}.x"));
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
