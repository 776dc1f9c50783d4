using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>
/// An <c>exec</c> request as the daemon reads it from a hostile caller: bounded argument vectors and environment,
/// no NUL anywhere, an absolute program path, and only plain terminal, locale and time zone variables.
/// </summary>
public class ExecRequestTests
{
    private static string Request(Action<JsonObject>? edit = null)
    {
        var args = new JsonObject
        {
            ["instance"] = "us-1",
            ["file"] = "/usr/bin/curl",
            ["arguments"] = new JsonArray("-v", "https://example.com"),
            ["environment"] = new JsonObject { ["TERM"] = "xterm-256color", ["LANG"] = "en_US.UTF-8", ["TZ"] = "Europe/Paris" },
            ["terminal"] = new JsonObject { ["rows"] = 24, ["columns"] = 80 },
        };
        edit?.Invoke(args);
        return new JsonObject { ["id"] = 9, ["op"] = "exec", ["args"] = args }.ToJsonString();
    }

    private static ParsedRequest Parse(string json) => RequestParser.Parse(Encoding.UTF8.GetBytes(json));

    [Test]
    public void A_plain_request_parses_with_every_word_as_given()
    {
        var a = (ExecArgs)Parse(Request()).Args!;
        Assert.Multiple(() =>
        {
            Assert.That(a.File, Is.EqualTo("/usr/bin/curl"));
            Assert.That(a.Arguments, Is.EqualTo(new[] { "-v", "https://example.com" }));
            Assert.That(a.Environment["TZ"], Is.EqualTo("Europe/Paris"));
            Assert.That(a.Terminal, Is.EqualTo(new ExecTerminal { Rows = 24, Columns = 80 }));
        });
        // Words that look like flags, spaces and quotes are the program's business.
        Assert.DoesNotThrow(() => Parse(Request(r => r["arguments"] = new JsonArray("--", "-rf", "a b", "'\"$HOME`", ""))));
    }

    private static readonly (string Why, Action<JsonObject> Edit)[] Refusals =
    [
        ("relative program", r => r["file"] = "curl"),
        ("program with a NUL", r => r["file"] = "/usr/bin/cu\0rl"),
        ("a folder, not a program", r => r["file"] = "/usr/bin/"),
        ("program path too long", r => r["file"] = "/" + new string('a', 5000)),
        ("argument with a NUL", r => r["arguments"] = new JsonArray("ok", "a\0b")),
        ("too many arguments", r => r["arguments"] = new JsonArray([.. Enumerable.Range(0, 4097).Select(i => (JsonNode?)JsonValue.Create("x"))])),
        ("one argument over 128 KiB", r => r["arguments"] = new JsonArray(new string('a', 128 * 1024 + 1))),
        ("more than 512 KiB of arguments", r => r["arguments"] = new JsonArray([.. Enumerable.Range(0, 5).Select(i => (JsonNode?)JsonValue.Create(new string('a', 120 * 1024)))])),
        ("a null argument", r => r["arguments"] = new JsonArray("a", null)),
        ("no argument list", r => r.Remove("arguments")),
        ("no environment", r => r.Remove("environment")),
        ("a library to preload", r => r["environment"] = new JsonObject { ["LD_PRELOAD"] = "/tmp/x.so" }),
        ("a PATH of the caller's", r => r["environment"] = new JsonObject { ["PATH"] = "/tmp/evil:/usr/bin" }),
        ("a locale from a file", r => r["environment"] = new JsonObject { ["LC_ALL"] = "/tmp/locale" }),
        ("a locale climbing folders", r => r["environment"] = new JsonObject { ["LANG"] = "..en_US" }),
        ("a time zone file", r => r["environment"] = new JsonObject { ["TZ"] = ":/tmp/zone" }),
        ("a time zone climbing folders", r => r["environment"] = new JsonObject { ["TZ"] = "../../tmp/zone" }),
        ("a terminal kind with a slash", r => r["environment"] = new JsonObject { ["TERM"] = "../x" }),
        ("a variable with a NUL", r => r["environment"] = new JsonObject { ["TERM"] = "xterm\0" }),
        ("a huge value", r => r["environment"] = new JsonObject { ["NO_COLOR"] = new string('1', 300) }),
        ("a terminal too large", r => r["terminal"] = new JsonObject { ["rows"] = 70000, ["columns"] = 80 }),
        ("a negative terminal", r => r["terminal"] = new JsonObject { ["rows"] = -1, ["columns"] = 80 }),
        ("a bad instance", r => r["instance"] = "../etc"),
        ("a working folder by path", r => r["cwd"] = "/root"),
        ("a user to run as", r => r["uid"] = 0),
    ];

    private static IEnumerable<TestCaseData> RefusalCases() => Refusals.Select(r => new TestCaseData(r.Edit).SetName("Refuses " + r.Why));

    [TestCaseSource(nameof(RefusalCases))]
    public void Refuses(Action<JsonObject> edit)
    {
        var e = Assert.Throws<RequestException>(() => Parse(Request(edit)))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Code, Is.EqualTo(ErrorCodes.InvalidArgument));
            Assert.That(e.Id, Is.EqualTo(9));
            Assert.That(e.Message, Does.Not.Contain("\n").And.Not.Contain("\0"));
        });
    }

    [Test]
    public void The_client_sends_only_what_the_daemon_accepts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ExecEnvironment.IsPassed("LANG", "C.UTF-8"), Is.True);
            Assert.That(ExecEnvironment.IsPassed("LANGUAGE", "fr:en"), Is.True);
            Assert.That(ExecEnvironment.IsPassed("LC_MESSAGES", "sr_RS@latin"), Is.True);
            Assert.That(ExecEnvironment.IsPassed("TZ", ":America/Argentina/Buenos_Aires"), Is.True);
            Assert.That(ExecEnvironment.IsPassed("COLUMNS", "120"), Is.True);
            Assert.That(ExecEnvironment.IsPassed("HOME", "/home/x"), Is.False, "the daemon sets HOME from the user database");
            Assert.That(ExecEnvironment.IsPassed("LC_FOO", "C"), Is.False);
            Assert.That(ExecEnvironment.IsPassed("COLUMNS", "12a"), Is.False);
        });
        var json = JsonSerializer.Serialize(new ExecArgs { Instance = "us-1", File = "/bin/true" }, ProtocolJson.Options);
        Assert.That(json, Does.Contain("\"file\":\"/bin/true\""));
    }
}
