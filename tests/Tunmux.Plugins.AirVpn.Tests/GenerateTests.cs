using System.IO.Compression;
using System.Text;
using NUnit.Framework;
using Tunmux.Privileged.Processes;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>generate: configs from the generator, one file or a zip archive.</summary>
public sealed class GenerateTests : AirVpnFixture
{
    [SetUp]
    public Task Login() => LoginAsync();

    [Test]
    public async Task One_config_goes_to_standard_output_and_parses_as_wireguard()
    {
        var text = await VerbAsync("generate", "--server", "Castor", "--protocol", "wg-1637");
        var config = WireGuardConfig.Parse(text);
        Assert.That(config.Select(s => s.Section), Is.EqualTo(new[] { "Interface", "Peer" }));
        var (iface, peer) = (config[0].Values, config[1].Values);
        var device = Account.Devices[0];
        Assert.That(iface["PrivateKey"], Is.EqualTo(device.PrivateKey));
        Assert.That(iface["Address"], Is.EqualTo(device.Ipv4));
        Assert.That(peer["PublicKey"], Is.EqualTo(CastorKey));
        Assert.That(WireGuardConfig.IsKey(peer["PresharedKey"]), Is.True);
        Assert.That(peer["Endpoint"], Is.EqualTo("198.18.10.2:1637"));

        // The API key was provisioned through the web session and kept for next time.
        Assert.That(Account.ApiKeys.Single().Name, Is.EqualTo("tunmux"));
        Assert.That(Context.Store.Items["session.json"], Does.Contain(Account.ApiKeys.Single().Secret));
        await VerbAsync("generate", "--server", "Vega");
        Assert.That(Fake.State.WebLogins, Is.EqualTo(1));
        Assert.That(Fake.State.GeneratorCalls, Is.EqualTo(2));
    }

    [Test]
    public async Task One_config_to_a_file_is_private()
    {
        var file = Temp.Combine("castor.conf");
        var output = await VerbAsync("generate", "--server", "castor", "--output", file, "--key", "Laptop");
        Assert.That(output, Does.Contain($"Wrote AirVPN_Castor_wg-1637.conf to {file}"));
        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var iface = WireGuardConfig.Parse(File.ReadAllText(file))[0].Values;
        Assert.That(iface["PrivateKey"], Is.EqualTo(Account.Devices[1].PrivateKey));
    }

    [Test]
    public async Task Several_configs_make_a_zip_with_the_expected_files()
    {
        var file = Temp.Combine("out.zip");
        var output = await VerbAsync("generate", "--server", "Castor", "--server", "de", "--protocol", "wg-1637", "--protocol", "openvpn-udp-443", "--output", file);
        Assert.That(output, Does.Contain("Wrote 4 configs to " + file));

        using var zip = ZipFile.OpenRead(file);
        Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(new[]
        {
            "AirVPN_Castor_wg-1637.conf", "AirVPN_Castor_openvpn-udp-443.ovpn", "AirVPN_de_wg-1637.conf", "AirVPN_de_openvpn-udp-443.ovpn",
        }));
        foreach (var entry in zip.Entries.Where(e => e.Name.EndsWith(".conf", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
            Assert.That(WireGuardConfig.Parse(reader.ReadToEnd()), Has.Count.EqualTo(2));
        }
        using (var ovpn = new StreamReader(zip.GetEntry("AirVPN_de_openvpn-udp-443.ovpn")!.Open()))
            Assert.That(ovpn.ReadToEnd(), Does.Contain("remote 198.18.11.2 443").And.Contain("proto udp"));
        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void Bad_protocols_are_refused_before_any_request()
    {
        var api = Fake.State.ApiRequests;
        Assert.That(VerbFails("generate", "--server", "Castor", "--protocol", "ipsec-500").Message,
            Does.Contain("bad protocol 'ipsec-500'; use wg, wg-PORT, openvpn-udp-PORT, openvpn-tcp-PORT, openvpn-ssh-PORT or openvpn-ssl-PORT"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--protocol", "wg-70000").Message, Does.Contain("bad port 70000"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--protocol", "openvpn-sctp-443").Message, Does.Contain("bad protocol"));
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(api));
        Assert.That(Fake.State.GeneratorCalls, Is.Zero);
        Assert.That(Fake.State.WebLogins, Is.Zero);
    }

    [Test]
    public void Unknown_server_port_or_device_lists_what_exists()
    {
        Assert.That(VerbFails("generate", "--server", "Sirius").Message,
            Is.EqualTo("airvpn: 'Sirius' is neither a server nor a country with servers; countries: de, nl, us; servers: Castor, Pollux, Vega, Mira"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--protocol", "wg-9999").Message,
            Is.EqualTo("airvpn: wg-9999 is not offered; available: wg-1637, wg-47107, wg-51820, openvpn-udp-443, openvpn-tcp-443, openvpn-ssh-22, openvpn-ssl-443"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--key", "Phone").Message,
            Does.Contain("no device (WireGuard key) named 'Phone'; devices: Default, Laptop"));
        Assert.That(Fake.State.GeneratorCalls, Is.Zero);
    }

    [Test]
    public async Task A_revoked_api_key_is_replaced_once()
    {
        await VerbAsync("generate", "--server", "Castor");
        Account.ApiKeys.Clear();
        var text = await VerbAsync("generate", "--server", "Pollux");
        Assert.That(WireGuardConfig.Parse(text)[1].Values["Endpoint"], Is.EqualTo("198.18.11.2:1637"));
        Assert.That(Account.ApiKeys, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_generated_config_comes_up_with_wg_quick()
    {
        Requires.Root("creates a network namespace and a WireGuard interface");
        Requires.Command("wg-quick", "wireguard-tools");
        Requires.Command("ip", "iproute2");
        if (!Directory.Exists("/sys/module/wireguard")) Requires.Command("wireguard-go", "wireguard-go");

        var text = await VerbAsync("generate", "--server", "Castor");
        // wg-quick would hand DNS to resolvconf, which writes the host's resolver: not in a test.
        var noDns = string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("DNS", StringComparison.Ordinal)));
        var name = $"tbav{Environment.ProcessId % 100000}";
        var ns = $"tb_airvpn_{Environment.ProcessId}";
        var file = Temp.Combine(name + ".conf");
        File.WriteAllText(file, noDns);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var run = ProcessRunner.Default;
        try
        {
            Assert.That((await run.RunAsync("ip", ["netns", "add", ns])).Succeeded, Is.True);
            await run.RunAsync("ip", ["-n", ns, "link", "set", "lo", "up"]);
            var up = await run.RunAsync("ip", ["netns", "exec", ns, "wg-quick", "up", file], timeout: TimeSpan.FromSeconds(30));
            Assert.That(up.Succeeded, Is.True, up.Summary);

            var show = await run.RunAsync("ip", ["netns", "exec", ns, "wg", "show", name]);
            Assert.That(show.StandardOutput, Does.Contain(CastorKey).And.Contain("198.18.10.2:1637"));
            var addr = await run.RunAsync("ip", ["-n", ns, "addr", "show", name]);
            Assert.That(addr.StandardOutput, Does.Contain(Account.Devices[0].Ipv4));

            var down = await run.RunAsync("ip", ["netns", "exec", ns, "wg-quick", "down", file], timeout: TimeSpan.FromSeconds(30));
            Assert.That(down.Succeeded, Is.True, down.Summary);
        }
        finally
        {
            // Deleting the namespace removes the interface; a userspace wireguard-go exits with it.
            await run.RunAsync("ip", ["netns", "del", ns]);
        }
    }
}
