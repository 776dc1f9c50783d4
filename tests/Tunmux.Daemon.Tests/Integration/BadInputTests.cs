using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Tunmux.Daemon.Tests.Unit;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// More than 10,000 malformed, truncated, oversized and wrongly typed messages, plus path-traversal and injection
/// values in every field of every operation, against the real daemon. Afterwards it must still answer, must have
/// created nothing on disk, and its memory must have levelled off.
/// </summary>
[NonParallelizable]
public class BadInputTests
{
    private const string Canary = "/tmp/tmx-canary-daemon";

    private static readonly string[] Injections =
    [
        "../../etc/passwd", "/etc/shadow", "..", ".", "", " ", "a b", "x;reboot", $"$(touch {Canary})", $"`touch {Canary}`",
        "|id", "&& id", "\n", "a\nb", "a\u0000b", "\u0000", "%2e%2e%2f", "wg0\u0007", "-rf", "--help", "tunmux_../x", "us-1/",
        "us-1\n", "\"quoted\"", "'; DROP TABLE x; --", "${IFS}", "\\x41", "ＵＳ", "\ud800", new string('a', 5000), "0.0.0.0/0 dev lo",
        "10.0.0.1/33", "[::1]:51820;x", "AAAA", "YEocP0e2o1WT5GlvBvQzVF7h/zm6/F6/LpuUZW7vf2I", "host:0", "1.2.3.4; reboot",
        "C:\\Windows", "~root", "*", "?", "-", "_", "wg-quick up /etc/x.conf", "\r\nX-Injected: 1",
    ];

    private static readonly JsonNode?[] WrongTypes =
        [JsonValue.Create(123), JsonValue.Create(-1), JsonValue.Create(1.5), JsonValue.Create(true), null, new JsonArray(), new JsonObject(),
         JsonValue.Create(1L << 40), JsonValue.Create("12"), new JsonArray(JsonValue.Create(1), JsonValue.Create("x"))];

    [Test]
    public void Ten_thousand_bad_messages_leave_the_daemon_answering_and_the_disk_untouched()
    {
        Requires.Root("the daemon runs as root");
        File.Delete(Canary);
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon("--authorized-group", "root");
        var pid = sandbox.DaemonPids.Single();
        var before = Snapshot(sandbox);

        var messages = Generate().ToList();
        var half = messages.Count / 2;
        var sent = 0;
        long warmRss = 0;

        using (var conn = new Reconnecting(sandbox.Paths.SocketPath))
        {
            foreach (var (i, m) in messages.Index())
            {
                m(conn);
                sent++;
                if (i == half) warmRss = Rss(pid);
            }
        }
        var breaking = SendFrameBreakers(sandbox.Paths.SocketPath);
        var endRss = Rss(pid);
        TestContext.Out.WriteLine($"sent {sent} bad messages on open connections and {breaking} frame-breaking ones; RSS at half {warmRss / 1024} MiB, at end {endRss / 1024} MiB");

        Assert.Multiple(() =>
        {
            Assert.That(sent + breaking, Is.GreaterThanOrEqualTo(10_000));
            Assert.That(RawClient.TryPing(sandbox.Paths.SocketPath), Is.True, "the daemon must still answer");
            Assert.That(Snapshot(sandbox), Is.EqualTo(before), "nothing may be created on disk");
            Assert.That(File.Exists(Canary), Is.False, "an injected command ran");
            Assert.That(endRss - warmRss, Is.LessThan(64 * 1024), "memory kept growing (KiB)");
            Assert.That(new FileInfo(sandbox.Paths.DaemonLogFile).Length, Is.LessThan(1 << 20), "bad input floods the log");
        });
    }

    /// <summary>A connection that answers every request with an error (never a result), reconnecting when the daemon hangs up.</summary>
    private sealed class Reconnecting(string path) : IDisposable
    {
        private RawClient _client = new(path);

        public void Send(byte[] payload)
        {
            _client.SendFrame(payload);
            var answer = _client.Receive();
            if (answer is not { } a)
            {
                _client.Dispose();
                _client = new RawClient(path);
                return;
            }
            Assert.That(a.GetProperty("ok").GetBoolean(), Is.False, Encoding.UTF8.GetString(payload[..Math.Min(300, payload.Length)]));
            var code = a.GetProperty("error").GetProperty("code").GetString();
            Assert.That(code, Is.AnyOf(ErrorCodes.BadFrame, ErrorCodes.InvalidArgument, ErrorCodes.UnknownOperation,
                ErrorCodes.VersionMismatch, ErrorCodes.TooLarge), "a bad message reached an operation");
        }

        public void Dispose() => _client.Dispose();
    }

    private static IEnumerable<Action<Reconnecting>> Generate()
    {
        var random = new Random(20261125);
        var valid = ValidRequests();

        // Field-by-field: every string field of every operation gets every injection, every field every wrong type.
        foreach (var (op, args) in valid)
        {
            foreach (var path in Paths(args))
            {
                foreach (var bad in Injections) if (Mutated(op, args, path, JsonValue.Create(bad)) is { } m) yield return c => c.Send(m);
                foreach (var bad in WrongTypes) if (Mutated(op, args, path, bad?.DeepClone()) is { } m) yield return c => c.Send(m);
                if (Mutated(op, args, path, null, remove: true) is { } removed) yield return c => c.Send(removed);
            }
            // Unknown fields at the top, in args and in nested objects.
            foreach (var path in Paths(args).Append("").Select(p => p.Contains('.') ? p[..p.LastIndexOf('.')] : "").Distinct())
                if (Mutated(op, args, path == "" ? "extra_field" : path + ".extra_field", JsonValue.Create(1)) is { } m) yield return c => c.Send(m);
        }

        foreach (var bad in Injections) yield return c => c.Send(Json(new JsonObject { ["v"] = 1, ["id"] = 1, ["op"] = bad }));
        foreach (var v in new[] { 0, 2, -1, int.MaxValue }) yield return c => c.Send(Json(new JsonObject { ["v"] = v, ["id"] = 1, ["op"] = "ping" }));
        yield return c => c.Send(Encoding.UTF8.GetBytes("{\"id\":1,\"op\":\"ping\",\"args\":" + new string('[', 5000) + new string(']', 5000) + "}"));
        yield return c => c.Send(Encoding.UTF8.GetBytes("{\"id\":1,\"op\":\"tunnel.down\",\"args\":{\"instance\":\"us-1\",\"instance\":\"../x\"}}"));
        // Lists far beyond their bounds, still under the frame limit.
        var addresses = new JsonArray(Enumerable.Range(0, 40_000).Select(_ => (JsonNode)JsonValue.Create("10.2.0.2/32")).ToArray());
        var up = valid.First(v => v.Op == Ops.TunnelUp).Args.DeepClone();
        up["profile"]!["addresses"] = addresses;
        var big = Request(Ops.TunnelUp, up);
        for (var i = 0; i < 20; i++) yield return c => c.Send(big);

        // Truncations of every valid request at every length, and random byte flips.
        foreach (var (op, args) in valid)
        {
            var bytes = Request(op, args);
            for (var cut = 1; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 60)) { var n = cut; yield return c => c.Send(bytes[..n]); }
        }
        var total = 0;
        while (total++ < 9000)
        {
            var (op, args) = valid[random.Next(valid.Count)];
            var bytes = Request(op, args);
            var kind = random.Next(4);
            if (kind == 0)
            {
                var junk = new byte[random.Next(1, 400)];
                random.NextBytes(junk);
                yield return c => c.Send(junk);
            }
            else
            {
                // Flip a few bytes of a valid request; if it still parses and validates, it is not a bad message.
                for (var k = 0; k < kind; k++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                if (!Accepted(bytes)) yield return c => c.Send(bytes);
            }
        }
        // A few large junk frames near the size limit.
        for (var i = 0; i < 10; i++)
        {
            var junk = Encoding.UTF8.GetBytes("{\"id\":1,\"op\":\"ping\",\"pad\":\"" + new string('x', 900_000) + "\"}");
            yield return c => c.Send(junk);
        }
    }

    /// <summary>Frames that end the connection: short headers, short bodies, empty and oversized lengths. Returns the count sent.</summary>
    private static int SendFrameBreakers(string path)
    {
        var count = 0;
        var random = new Random(7);
        for (var i = 0; i < 400; i++)
        {
            using var c = new RawClient(path);
            var header = new byte[4];
            switch (i % 5)
            {
                case 0: c.SendRaw(new byte[random.Next(1, 4)]); break;
                case 1:
                    BinaryPrimitives.WriteUInt32BigEndian(header, 1000);
                    c.SendRaw([.. header, .. new byte[random.Next(0, 999)]]);
                    break;
                case 2: c.SendRaw(new byte[4]); break;
                case 3:
                    BinaryPrimitives.WriteUInt32BigEndian(header, (uint)random.NextInt64(ProtocolInfo.MaxMessageBytes + 1L, uint.MaxValue));
                    c.SendRaw(header);
                    break;
                default:
                    BinaryPrimitives.WriteUInt32BigEndian(header, ProtocolInfo.MaxMessageBytes + 1u);
                    c.SendRaw([.. header, .. new byte[1000]]);
                    break;
            }
            try { c.ShutdownSend(); } catch (SocketException) { }
            // The daemon either answers with an error or just hangs up; it never answers with a result.
            try
            {
                if (c.Receive() is { } answer) Assert.That(answer.GetProperty("ok").GetBoolean(), Is.False);
            }
            catch (IOException) { }
            count++;
        }
        return count;
    }

    private static List<(string Op, JsonNode Args)> ValidRequests()
    {
        JsonNode Node(object o) => JsonSerializer.SerializeToNode(o, o.GetType(), ProtocolJson.Options)!;
        return
        [
            (Ops.TunnelUp, Node(Samples.ProxyUp())),
            (Ops.TunnelUp, Node(Samples.DirectUp())),
            (Ops.TunnelDown, Node(new InstanceArgs { Instance = "us-1" })),
            (Ops.TunnelInspect, Node(new InstanceArgs { Instance = "us-1" })),
            (Ops.KillPid, Node(new KillPidArgs { Pid = 4242 })),
            (Ops.LeaseRelease, Node(new LeaseArgs { LeaseId = "abc" })),
            (Ops.LeaseAcquire, Node(new LeaseArgs { LeaseId = "abc" })),
        ];
    }

    /// <summary>Paths of every leaf of the arguments (a.b.0.c).</summary>
    private static IEnumerable<string> Paths(JsonNode node, string prefix = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                    foreach (var p in v is null ? [Join(prefix, k)] : Paths(v, Join(prefix, k))) yield return p;
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    foreach (var p in a[i] is null ? [Join(prefix, i.ToString())] : Paths(a[i]!, Join(prefix, i.ToString()))) yield return p;
                break;
            default:
                yield return prefix;
                break;
        }
    }

    private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

    /// <summary>The request with one field replaced (or removed), or null when that makes it a valid request after all.</summary>
    private static byte[]? Mutated(string op, JsonNode args, string path, JsonNode? value, bool remove = false)
    {
        var copy = args.DeepClone();
        var parts = path.Split('.');
        JsonNode? parent = copy;
        foreach (var p in parts[..^1]) parent = parent is JsonArray a ? a[int.Parse(p)] : parent![p];
        var last = parts[^1];
        if (parent is JsonArray arr)
        {
            // An extra field cannot be added to a list; such a path is skipped.
            if (!int.TryParse(last, out var index)) return null;
            if (remove) arr.RemoveAt(index); else arr[index] = value;
        }
        else if (parent is JsonObject obj) { if (remove) obj.Remove(last); else obj[last] = value; }
        var bytes = Request(op, copy);
        return Accepted(bytes) ? null : bytes;
    }

    private static bool Accepted(byte[] bytes)
    {
        try { RequestParser.Parse(bytes); return true; }
        catch (RequestException) { return false; }
    }

    private static byte[] Request(string op, JsonNode args) =>
        Json(new JsonObject { ["v"] = 1, ["id"] = 7, ["op"] = op, ["args"] = args.DeepClone() });

    private static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static long Rss(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>Every file and folder under the sandbox except the daemon's own log.</summary>
    private static List<string> Snapshot(DaemonSandbox sandbox) =>
        Directory.EnumerateFileSystemEntries(sandbox.Root, "*", SearchOption.AllDirectories)
            .Where(p => p != sandbox.Paths.DaemonLogFile)
            .Select(p => p[sandbox.Root.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
}
