using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>
/// The parser, in process, on many random mutations of valid requests: whatever the input, it either returns a
/// validated request or throws <see cref="RequestException"/> — never another exception, which would drop the
/// connection without an answer. (<c>Fuzz/</c> has the same target for SharpFuzz and libFuzzer.)
/// </summary>
public class ParserRandomInputTests
{
    [Test]
    public void Any_input_is_either_a_valid_request_or_a_request_exception()
    {
        var random = new Random(4242);
        var seeds = new[]
        {
            JsonSerializer.SerializeToUtf8Bytes(new Request { Id = 1, Op = Ops.TunnelUp, Args = JsonSerializer.SerializeToElement(Samples.ProxyUp(), ProtocolJson.Options) }, ProtocolJson.Options),
            JsonSerializer.SerializeToUtf8Bytes(new Request { Id = 2, Op = Ops.TunnelDown, Args = JsonSerializer.SerializeToElement(new InstanceArgs { Instance = "us-1" }, ProtocolJson.Options) }, ProtocolJson.Options),
            JsonSerializer.SerializeToUtf8Bytes(new Request { Id = 3, Op = Ops.KillPid, Args = JsonSerializer.SerializeToElement(new KillPidArgs { Pid = 4242 }, ProtocolJson.Options) }, ProtocolJson.Options),
            Encoding.UTF8.GetBytes("""{"v":1,"id":4,"op":"lease.release","args":{"lease_id":"abc"}}"""),
        };
        const string alphabet = "{}[]\":,0123456789-.eE+tfnul\\/ \u00e9\u0000\n";
        for (var i = 0; i < 50_000; i++)
        {
            var input = (byte[])seeds[random.Next(seeds.Length)].Clone();
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(input.Length);
                switch (random.Next(4))
                {
                    case 0: input[at] = (byte)random.Next(256); break;
                    case 1: input[at] = (byte)alphabet[random.Next(alphabet.Length)]; break;
                    case 2: input = [.. input[..at], .. input[Math.Min(input.Length, at + random.Next(1, 20))..]]; break;
                    default: input = [.. input[..at], .. Encoding.UTF8.GetBytes(alphabet[random.Next(alphabet.Length)].ToString()), .. input[at..]]; break;
                }
                if (input.Length == 0) input = [(byte)'{'];
            }
            try
            {
                RequestParser.Parse(input);
            }
            catch (RequestException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"input {Convert.ToBase64String(input)} threw {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    [Test]
    public void Values_of_every_json_kind_in_every_field_are_handled()
    {
        var kinds = new JsonNode?[] { null, 0, -1, 1e300, "x", true, new JsonArray(), new JsonObject(), new JsonArray((JsonNode?)null) };
        var up = JsonSerializer.SerializeToNode(Samples.ProxyUp(), ProtocolJson.Options)!.AsObject();
        Assert.That(RequestParser.Parse(Encoding.UTF8.GetBytes(new JsonObject { ["id"] = 1, ["op"] = Ops.TunnelUp, ["args"] = up.DeepClone() }.ToJsonString())),
            Is.Not.Null, "the unmodified request parses");
        var rejected = 0;
        foreach (var (key, _) in up.ToList())
            foreach (var kind in kinds)
            {
                var copy = up.DeepClone().AsObject();
                copy[key] = kind?.DeepClone();
                var json = new JsonObject { ["id"] = 1, ["op"] = Ops.TunnelUp, ["args"] = copy }.ToJsonString();
                try { RequestParser.Parse(Encoding.UTF8.GetBytes(json)); }
                catch (RequestException) { rejected++; }
            }
        // Every other exception has already failed the test; most wrong kinds must be refused, not accepted.
        Assert.That(rejected, Is.GreaterThan(up.Count * kinds.Length / 2));
    }
}
