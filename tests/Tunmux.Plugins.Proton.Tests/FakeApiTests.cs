using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tunmux.Contracts;
using Tunmux.Fakes.Proton;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class FakeApiTests : ProtonFixture
{
    [Test]
    public async Task Certificate_hook_receives_the_wireguard_key_as_an_argument()
    {
        using var dir = new TempDir();
        var output = dir.Combine("hook.txt");
        // The key arrives as one argv element; the shell here only writes it to a file for the test.
        Api.Hook = ["/bin/sh", "-c", "printf '%s %s' \"$1\" \"$2\" > \"$0\"", output, "{pubkey}", "{address}"];
        try
        {
            await LoginAsync(Plain);
        }
        finally
        {
            Api.Hook = null;
        }
        var issued = Api.Certificates.Last();
        Assert.That(await File.ReadAllTextAsync(output), Is.EqualTo($"{issued.WireGuardPublicKey} 10.2.0.2/32"));
    }

    [Test]
    public void Failing_hook_fails_the_login_cleanly()
    {
        Api.Hook = ["/bin/false"];
        try
        {
            var ex = Assert.CatchAsync<ProviderException>(() => LoginAsync(Plain));
            Assert.That(ex!.Message, Does.Contain("/vpn/v1/certificate"));
            Assert.That(Context.Store.Writes, Is.Zero);
        }
        finally
        {
            Api.Hook = null;
        }
    }

    [Test]
    public async Task Standalone_program_prints_its_url_and_serves_the_logicals_file()
    {
        using var dir = new TempDir();
        var logicals = dir.Combine("logicals.json");
        await File.WriteAllTextAsync(logicals, TestLogicals.Json);
        var dll = typeof(FakeProtonApi).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--port", "0", "--logicals", logicals, "--account", "dave:pw" }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(line, Does.StartWith("http://127.0.0.1:"));
            using var http = new HttpClient();
            var info = await http.PostAsJsonAsync(line + "/auth/v4/info", new { Username = "dave" });
            var body = JsonNode.Parse(await info.Content.ReadAsStringAsync())!;
            Assert.That(body["Code"]!.GetValue<int>(), Is.EqualTo(1000));
            Assert.That(body["Modulus"]!.GetValue<string>(), Does.StartWith("-----BEGIN PGP SIGNED MESSAGE-----"));
            var list = await http.GetStringAsync(line + "/vpn/v1/logicals");
            Assert.That(list, Does.Contain("\"US#1\""));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
