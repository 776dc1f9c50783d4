using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport;

namespace Tunmux.LabTests;

/// <summary>
/// What a real connect shows while it waits: plain step lines on a standard error that is no terminal,
/// nothing but the JSON with <c>--json</c>, and on a terminal one line rewritten in place and cleared
/// before the result.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProgressTests : LabSession
{
    protected override string LabName => "tbprog";

    protected override int Servers => 1;

    private const string Erase = "\r\u001b[2K";

    [Test]
    public void Connect_prints_its_steps_as_lines_on_a_plain_stderr_and_nothing_but_json_with_json()
    {
        var tm = NewSession();
        var conf = WriteClientConf(tm, 1, LabName + "-p1");

        var plain = tm.Tunmux("wgconf", "connect", "--proxy", "--file", conf);
        AssertOk(plain, "connect");
        var steps = plain.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(steps, Has.Length.EqualTo(4), plain.Error);
            Assert.That(steps.ElementAtOrDefault(0), Does.StartWith("choosing a server with "));
            Assert.That(steps.ElementAtOrDefault(1), Is.EqualTo("reaching the tunmux daemon"));
            Assert.That(steps.ElementAtOrDefault(2), Does.StartWith($"bringing {LabName}-p1 up: tunnel to ").And.EndWith("waiting for the handshake"));
            Assert.That(steps.ElementAtOrDefault(3), Is.EqualTo("proxy ready on 127.0.0.1:1080 (SOCKS5) and 127.0.0.1:8118 (HTTP)"));
            Assert.That(plain.Error, Does.Not.Contain("\r").And.Not.Contain("\u001b"), "no terminal control on a plain stderr");
            Assert.That(plain.Output, Does.StartWith($"Connected {LabName}-p1 "), "the result stays on stdout");
        });
        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect");

        var json = tm.Tunmux("wgconf", "connect", "--proxy", "--json", "--file", conf);
        AssertOk(json, "connect --json");
        Assert.That(json.Error, Is.Empty, "nothing but the JSON");
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Multiple(() =>
        {
            Assert.That(doc.RootElement.GetProperty("instance").GetString(), Is.EqualTo(LabName + "-p1"));
            Assert.That(doc.RootElement.GetProperty("mode").GetString(), Is.EqualTo("proxy"));
            Assert.That(doc.RootElement.GetProperty("socks_port").GetInt32(), Is.EqualTo(1080));
            Assert.That(doc.RootElement.GetProperty("http_port").GetInt32(), Is.EqualTo(8118));
        });
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect");
    }

    [Test]
    public void On_a_terminal_connect_rewrites_one_line_and_clears_it_before_the_result()
    {
        Requires.Command("script", "bsdutils");
        var tm = NewSession();
        var conf = WriteClientConf(tm, 1, LabName + "-t1");

        // script(1) runs the command on a pseudo-terminal (its stdin, stdout and stderr) and copies what the terminal shows.
        var shown = tm.Exec("script", ["-qec", $"TERM=xterm NO_COLOR=1 {Dist.Executable} wgconf connect --proxy --file {conf}", "/dev/null"],
            withTunmuxEnv: true);
        TestContext.Out.WriteLine(shown.Output.Replace("\u001b", "<ESC>", StringComparison.Ordinal).Replace("\r", "<CR>", StringComparison.Ordinal));
        AssertOk(shown, "connect on a terminal");
        var transcript = shown.Output;
        var connected = transcript.IndexOf($"Connected {LabName}-t1 ", StringComparison.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(transcript, Does.Contain(Erase + "reaching the tunmux daemon" + Erase), "each step replaces the one before on the same line");
            Assert.That(transcript, Does.Contain(Erase + $"bringing {LabName}-t1 up: "));
            Assert.That(transcript, Does.Contain(Erase + "proxy ready on 127.0.0.1:1080"));
            Assert.That(Regex.IsMatch(transcript, @"(choosing a server with|reaching the tunmux daemon|waiting for the handshake|\(HTTP\))\r?\n"), Is.False,
                "no step ends its line: they share one");
            Assert.That(connected, Is.GreaterThan(0), "the result line");
            Assert.That(transcript.LastIndexOf(Erase, StringComparison.Ordinal), Is.LessThan(connected), "the step line is cleared before the result, which stays");
            Assert.That(transcript[..connected], Does.EndWith(Erase), "the result starts on the cleared line");
            Assert.That(transcript, Does.Not.Contain("\u001b[2m"), "NO_COLOR: no dimming");
        });
        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect");
    }
}
