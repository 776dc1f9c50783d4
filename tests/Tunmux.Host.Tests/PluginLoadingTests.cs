using NUnit.Framework;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Tests;

[TestFixture]
[NonParallelizable]
public sealed class PluginLoadingTests
{
    [Test]
    public void GoodPluginLoadsAndAnswersItsVerbs()
    {
        using var cli = new CliHarness("testgood");
        Assert.Multiple(() =>
        {
            Assert.That(cli.Run("testgood", "ports", "add", "8080", "--protocol", "tcp"), Is.Zero, cli.Err);
            Assert.That(cli.Out.Trim(), Is.EqualTo("ports add 8080 protocol=tcp"));
        });
        Assert.That(cli.Run("testgood", "servers", "--country", "NL", "--json"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("\"name\": \"T#1\"").And.Contain("\"country\": \"NL\""));
    }

    [Test]
    public void PluginCarriesItsOwnVersionOfAHostDependency()
    {
        using var cli = new CliHarness("testgood");
        Assert.That(cli.Run("testgood", "whoami"), Is.Zero, cli.Err);
        var hostVersion = (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(
            typeof(Serilog.Log).Assembly)?.InformationalVersion ?? "").Split('+')[0];
        Assert.Multiple(() =>
        {
            Assert.That(cli.Out.Trim(), Does.StartWith("Serilog 3.1.1"), "the plugin sees the version it was built with");
            Assert.That(hostVersion, Does.StartWith("4.4.0"), "while the host keeps its own");
        });
    }

    [Test]
    public void ThrowingPluginGivesOneLineAndOthersKeepWorking()
    {
        using var cli = new CliHarness("testgood", "testthrows");
        Assert.That(cli.Run("testthrows", "info"), Is.EqualTo(1));
        Assert.That(cli.Err.Trim(), Is.EqualTo("error: plugin 'testthrows' is broken: its provider failed to start: boom in constructor"));

        Assert.That(cli.Run("plugins", "--json"), Is.Zero);
        Assert.That(cli.Out, Does.Contain("\"state\": \"broken\"").And.Contain("\"state\": \"ok\""));
        Assert.That(cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), "one warning line naming it");
        Assert.That(cli.Err, Does.Contain("testthrows"));

        Assert.That(cli.Run("testgood", "info"), Is.Zero, "the good plugin still works");
    }

    [Test]
    public void MissingAssemblyIsReported()
    {
        using var cli = new CliHarness("testgood");
        Directory.CreateDirectory(Path.Combine(cli.PluginsDir, "ghost"));
        Assert.That(cli.Run("ghost", "info"), Is.EqualTo(1));
        Assert.That(cli.Err, Does.Contain("plugin 'ghost' is broken").And.Contain("ghost.dll does not exist"));
        cli.Run("plugins");
        Assert.That(cli.Out, Does.Contain("ghost").And.Contain("missing"));
    }

    [Test]
    public void PluginForAnotherContractsMajorIsRefusedWithoutLoading()
    {
        using var cli = new CliHarness("testnextapi");
        Assert.That(cli.Run("testnextapi", "info"), Is.EqualTo(1));
        Assert.That(cli.Err.Trim(), Does.StartWith("error: plugin 'testnextapi' is incompatible: built for plugin API 3.x, this tunmux provides 2."));
    }

    [Test]
    public void OnlyTheNamedPluginIsLoaded()
    {
        using var cli = new CliHarness("testgood", "testspy", "testthrows");
        var marker = Path.Combine(cli.Root, "spy-marker");
        Environment.SetEnvironmentVariable("TUNMUX_TEST_SPY_MARKER", marker);
        try
        {
            Assert.That(cli.Run("status"), Is.Zero);
            Assert.That(cli.Run("--help"), Is.Zero);
            Assert.That(cli.Run("testgood", "info"), Is.Zero);
            Assert.That(cli.Err, Is.Empty, "the broken plugin was never touched");
            Assert.That(File.Exists(marker), Is.False, "status, --help and another plugin's verb do not load testspy");

            Assert.That(cli.Run("testspy", "info"), Is.Zero);
            Assert.That(File.ReadAllText(marker), Is.EqualTo("loaded\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TUNMUX_TEST_SPY_MARKER", null);
        }
    }

    [Test]
    public void FirstPluginFolderWins()
    {
        using var cli = new CliHarness("testgood");
        var catalog = new PluginCatalog(["/nonexistent", cli.PluginsDir, "/also/missing"]);
        Assert.That(catalog.Find("testgood")!.AssemblyPath, Is.EqualTo(Path.Combine(cli.PluginsDir, "testgood", "testgood.dll")));
        Assert.That(catalog.Find("../etc"), Is.Null);
    }

    [Test]
    public void PluginFolderNamedLikeAHostCommandIsNeverAProvider()
    {
        using var cli = new CliHarness("testgood");
        var shadowed = Path.Combine(cli.PluginsDir, "status");
        Directory.CreateDirectory(shadowed);
        File.Copy(Path.Combine(cli.PluginsDir, "testgood", "testgood.dll"), Path.Combine(shadowed, "status.dll"));
        var catalog = new PluginCatalog([cli.PluginsDir]);
        Assert.Multiple(() =>
        {
            Assert.That(catalog.Find("status"), Is.Null);
            Assert.That(catalog.Discover().Select(c => c.Name), Is.EqualTo(new[] { "testgood" }));
            Assert.That(cli.Run("status"), Is.Zero, cli.Err);
            Assert.That(cli.Out, Does.Contain("No active connections."), "the host's status, not a plugin's");
        });
    }

    [Test]
    public void HostCommandWordsAreWhatTheHostVerbsDeclare()
    {
        var declared = Cli.HostVerbs.All.SelectMany(t => new[] { Cli.VerbModel.Of(t).Name }.Concat(Cli.VerbModel.Of(t).Aliases)).Append("help");
        Assert.That(Cli.HostVerbs.Words, Is.EquivalentTo(declared));
    }
}
