using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Fakes.AirVpn;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>The fake as the lab uses it: a program given a servers file and a key hook.</summary>
public sealed class FakeProgramTests
{
    private const string ServersJson = """
        {
          // lab servers
          "wg_public_key": "4u3GZ8oI4TVi3bA0u0nXoQXbLZd0AakuVbwPpyyfqUk=",
          "accounts": [ { "username": "lab", "password": "pw-lab", "devices": ["Default"] } ],
          "servers": [ { "name": "Castor", "country_code": "nl", "location": "Amsterdam", "ips_entry": ["198.18.10.2"] },
                       { "name": "Pollux", "country_code": "de", "location": "Frankfurt", "ips_entry": ["198.18.11.2"] } ]
        }
        """;

    [Test]
    public async Task The_program_prints_its_url_serves_the_plugin_and_runs_the_hook()
    {
        using var temp = new TempDir("tunmux-airvpn-fakeprog-");
        File.WriteAllText(temp.Combine("servers.json"), ServersJson);
        var hookOut = temp.Combine("hook.log");
        // The hook is argv, no shell: a test script that records its arguments.
        File.WriteAllText(temp.Combine("hook.sh"), $"#!/bin/sh\necho \"$@\" >> '{hookOut}'\n");
        File.SetUnixFileMode(temp.Combine("hook.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var dll = typeof(FakeAirVpn).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--port", "0", "--servers", temp.Combine("servers.json"), "--public-key-out", temp.Combine("key.pem"), "--hook", temp.Combine("hook.sh"), "--hook", "add-peer" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var url = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var keyLine = await process.StandardOutput.ReadLineAsync();
            Assert.That(url, Does.Match(@"^http://127\.0\.0\.1:\d+$"));
            Assert.That(keyLine, Is.EqualTo("rsa_key_file=" + temp.Combine("key.pem")));

            Directory.CreateDirectory(temp.Combine("cache"));
            var context = new TestProviderContext(temp.Combine("cache"), new Dictionary<string, object>
            {
                ["api_urls"] = new List<string> { url! },
                ["web_url"] = url!,
                ["rsa_key_file"] = temp.Combine("key.pem"),
            });
            var provider = new AirVpnProvider();
            provider.Initialize(context);
            await provider.LoginAsync(new LoginRequest { Username = "lab", Password = "pw-lab", Options = new LoginOptions() }, CancellationToken.None);
            var plan = await provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Castor", ProxyMode = true, Options = new ConnectOptions() }, CancellationToken.None);
            Assert.That(plan.Profile.Peers[0].PublicKey, Is.EqualTo("4u3GZ8oI4TVi3bA0u0nXoQXbLZd0AakuVbwPpyyfqUk="));
            Assert.That(plan.Profile.Peers[0].Endpoint, Is.EqualTo("198.18.10.2:1637"));
            Assert.That(plan.Profile.Peers[0].PresharedKey, Is.Null, "no preshared key unless the servers file asks for them");

            // act=user handed out the Default key: the hook registered it once, with its public key and address.
            var lines = File.ReadAllLines(hookOut);
            var publicKey = X25519.PublicKeyOf(plan.Profile.PrivateKey);
            Assert.That(lines, Is.EqualTo(new[] { $"add-peer Default {publicKey} {plan.Profile.Addresses[0]}" }));

            await provider.RunVerbAsync(VerbLines.Invocation(provider, "devices add", "--name", "Phone"), CancellationToken.None);
            Assert.That(File.ReadAllLines(hookOut), Has.Length.EqualTo(2), "a created key is registered too");

            context.Io.TakeOut();
            await provider.RunVerbAsync(VerbLines.Invocation(provider, "generate", "--server", "de"), CancellationToken.None);
            var peer = WireGuardConfig.Parse(context.Io.TakeOut())[1].Values;
            Assert.That(peer.Keys, Is.EquivalentTo(new[] { "PublicKey", "Endpoint", "AllowedIPs", "PersistentKeepalive" }));
            Assert.That(peer["Endpoint"], Is.EqualTo("198.18.11.2:1637"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    [Test]
    public void An_xml_servers_file_is_read_like_a_manifest()
    {
        using var temp = new TempDir("tunmux-airvpn-xml-");
        File.WriteAllText(temp.Combine("servers.xml"), """
            <manifest wg_public_key="k" address_pool="10.2.0.0/16">
              <accounts><account username="a" password="b" /></accounts>
              <servers><server name="Castor" country_code="nl" location="Amsterdam" ips_entry="198.18.10.2,198.18.10.3" users="3" /></servers>
              <modes><mode type="wireguard" protocol="UDP" port="51820" entry_index="1" /></modes>
            </manifest>
            """);
        var c = Catalog.Load(temp.Combine("servers.xml"));
        Assert.That(c.Servers.Single().IpsEntry, Is.EqualTo(new[] { "198.18.10.2", "198.18.10.3" }));
        Assert.That(c.EffectiveModes.Single().Port, Is.EqualTo(51820));
        Assert.That(c.Accounts.Single().Username, Is.EqualTo("a"));
    }
}
