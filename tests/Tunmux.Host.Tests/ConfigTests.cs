using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Host.Config;

namespace Tunmux.Host.Tests;

[TestFixture]
public sealed class ConfigTests
{
    private const string Path = "/home/u/.config/tunmux/config.toml";

    [Test]
    public void MissingFileMeansDefaults()
    {
        var config = ConfigLoader.Load("/nonexistent/dir/config.toml");
        Assert.That(config.General, Is.EqualTo(new GeneralConfig()));
        Assert.That(config.General.CredentialStore, Is.EqualTo("file"));
        Assert.That(config.General.PrivilegedAutostart, Is.True);
    }

    [Test]
    public void EveryFieldOfTheOriginalIsRead()
    {
        var config = ConfigLoader.Parse("""
            [general]
            backend = "userspace"
            credential_store = "keyring"
            proxy_access_log = true
            privileged_transport = "stdio"
            privileged_autostart = false
            privileged_autostart_timeout_ms = 7000
            privileged_authorized_group = "vpnusers"
            privileged_autostop_mode = "timeout"
            privileged_autostop_timeout_ms = 45000

            [proton]
            default_country = "CH"

            [airvpn]
            default_country = "NL"
            default_device = "laptop"
            """, Path);
        Assert.That(config.General, Is.EqualTo(new GeneralConfig
        {
            Backend = "userspace", CredentialStore = "keyring", ProxyAccessLog = true, PrivilegedTransport = "stdio",
            PrivilegedAutostart = false, PrivilegedAutostartTimeoutMs = 7000, PrivilegedAuthorizedGroup = "vpnusers",
            PrivilegedAutostopMode = "timeout", PrivilegedAutostopTimeoutMs = 45000,
        }));
        Assert.Multiple(() =>
        {
            Assert.That(config.Section("proton").GetString("default_country"), Is.EqualTo("CH"));
            Assert.That(config.Section("airvpn").GetString("default_device"), Is.EqualTo("laptop"));
            Assert.That(config.Section("missing").Keys, Is.Empty);
            Assert.That(config.Warnings, Is.Empty);
        });
    }

    [TestCase("backend = \"turbo\"", 2, "general.backend = \"turbo\" is invalid: expected one of \"auto\", \"wg-quick\", \"userspace\", \"kernel\"")]
    [TestCase("credential_store = \"vault\"", 2, "general.credential_store")]
    [TestCase("proxy_access_log = \"yes\"", 2, "expected true or false")]
    [TestCase("privileged_transport = \"tcp\"", 2, "\"socket\", \"stdio\"")]
    [TestCase("privileged_autostart = 1", 2, "general.privileged_autostart = 1 is invalid: expected true or false")]
    [TestCase("privileged_autostart_timeout_ms = -5", 2, "expected an integer from 100 to 600000")]
    [TestCase("privileged_authorized_group = \"bad group!\"", 2, "expected a group name")]
    [TestCase("privileged_autostop_mode = \"sometimes\"", 2, "\"never\", \"command\", \"timeout\"")]
    [TestCase("privileged_autostop_timeout_ms = \"30s\"", 2, "expected an integer")]
    public void BadValueNamesFileLineKeyAndAllowedValues(string line, int lineNumber, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[general]\n" + line + "\n", Path))!;
        Assert.That(e.Message, Does.StartWith($"{Path}:{lineNumber}: ").And.Contain(expected));
    }

    [Test]
    public void InvalidTomlNamesTheFile()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[general\nbackend = ", Path))!;
        Assert.That(e.Message, Does.StartWith(Path + ": invalid TOML"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void UnknownGeneralKeyIsAWarningWithItsLine()
    {
        var config = ConfigLoader.Parse("[general]\nbackend = \"auto\"\ncolour = \"blue\"\n", Path);
        Assert.That(config.Warnings, Has.Count.EqualTo(1));
        Assert.That(config.Warnings[0], Does.Contain($"{Path}:3").And.Contain("general.colour"));
    }

    [Test]
    public void PluginSectionTypeErrorsNameTheKey()
    {
        var config = ConfigLoader.Parse("[proton]\ndefault_country = 5\n", Path);
        var e = Assert.Throws<ProviderException>(() => config.Section("proton").GetString("default_country"))!;
        Assert.That(e.Message, Does.Contain($"{Path}:2").And.Contain("proton.default_country must be a string"));
    }

    [Test]
    public void UnknownPluginKeyWarnsThroughTheCli()
    {
        using var cli = new CliHarness("testgood");
        cli.WriteConfig("[testgood]\ngreeting = \"hi\"\nsurprise = 1\n");
        var code = cli.Run("testgood", "info");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, cli.Err);
            Assert.That(cli.Out, Does.Contain("Plan:").And.Contain("hi"), "the plugin reads its own section");
            Assert.That(cli.Err, Does.Contain("unknown key testgood.surprise"));
        });
    }

    [Test]
    public void CliFlagOverridesConfig()
    {
        var general = new GeneralConfig { Backend = "kernel" };
        var options = new Contracts.ConnectOptions { Backend = "userspace" };
        Assert.Multiple(() =>
        {
            Assert.That(Connections.ConnectSettings.Backend(options, general), Is.EqualTo("userspace"));
            Assert.That(Connections.ConnectSettings.Backend(new Contracts.ConnectOptions(), general), Is.EqualTo("kernel"));
            Assert.That(Connections.ConnectSettings.AccessLog(new Contracts.ConnectOptions(), general with { ProxyAccessLog = true }), Is.True);
        });
    }

    [Test]
    public void FailoverIsOnUnlessTheFlagOrTheConfigTurnsItOff()
    {
        using var cli = new CliHarness("testgood");
        cli.WriteConfig("[general]\nfailover = false\n");
        var off = ConfigLoader.Load(cli.Paths.ConfigFile).General;
        Assert.Multiple(() =>
        {
            Assert.That(Connections.ConnectSettings.Supervision(new Contracts.ConnectOptions(), new GeneralConfig()).Failover, Is.True, "the default");
            Assert.That(Connections.ConnectSettings.Supervision(new Contracts.ConnectOptions { NoFailover = true }, new GeneralConfig()).Failover, Is.False, "--no-failover");
            Assert.That(off.Failover, Is.False, "config failover = false");
            Assert.That(Connections.ConnectSettings.Supervision(new Contracts.ConnectOptions(), off).Failover, Is.False);
        });
    }

    [Test]
    public void NoKillSwitchOverridesConfigKillSwitchForOneConnect()
    {
        using var cli = new CliHarness("testgood");
        cli.WriteConfig("[general]\nkill_switch = true\n");
        var on = ConfigLoader.Load(cli.Paths.ConfigFile).General;
        static bool KillSwitch(Contracts.ConnectOptions o, GeneralConfig g) => Connections.ConnectSettings.KillSwitch(o, g);
        Assert.Multiple(() =>
        {
            Assert.That(on.KillSwitch, Is.True, "config kill_switch = true");
            Assert.That(KillSwitch(new Contracts.ConnectOptions(), on), Is.True, "the config's kill switch holds by default");
            Assert.That(KillSwitch(new Contracts.ConnectOptions { NoKillSwitch = true }, on), Is.False, "--no-kill-switch turns it off for this connect");
            Assert.That(KillSwitch(new Contracts.ConnectOptions { KillSwitch = true }, new GeneralConfig()), Is.True, "--kill-switch without config");
            Assert.That(KillSwitch(new Contracts.ConnectOptions { NoKillSwitch = true }, new GeneralConfig()), Is.False);
            Assert.That(KillSwitch(new Contracts.ConnectOptions { Proxy = true }, on), Is.False, "never in proxy mode");
            Assert.That(KillSwitch(new Contracts.ConnectOptions(), new GeneralConfig()), Is.False, "off by default");
        });
    }
}
