using System.Buffers.Binary;
using System.Text;
using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

public class RequestParserTests
{
    private static ParsedRequest Parse(string json) => RequestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static RequestException Refused(string json) => Assert.Throws<RequestException>(() => Parse(json))!;

    [Test]
    public void Parses_each_operation()
    {
        Assert.That(Parse("""{"v":1,"id":7,"op":"ping"}""").Id, Is.EqualTo(7));
        Assert.That(Parse("""{"id":1,"op":"version","args":{}}""").Op, Is.EqualTo(Ops.Version));
        Assert.That(Parse("""{"id":1,"op":"tunnel.list","args":null}""").Args, Is.EqualTo(new TunnelListArgs { Check = true }));
        Assert.That(Parse("""{"id":1,"op":"tunnel.list","args":{"check":false}}""").Args, Is.EqualTo(new TunnelListArgs { Check = false }));
        Assert.That(Parse("""{"id":1,"op":"tunnel.down","args":{"instance":"us-1"}}""").Args, Is.EqualTo(new InstanceArgs { Instance = "us-1" }));
        Assert.That(Parse("""{"id":1,"op":"tunnel.inspect","args":{"instance":"_direct"}}""").Op, Is.EqualTo(Ops.TunnelInspect));
        Assert.That(Parse("""{"id":1,"op":"pid.kill","args":{"pid":4242}}""").Args, Is.EqualTo(new KillPidArgs { Pid = 4242 }));
        Assert.That(Parse("""{"id":1,"op":"lease.acquire"}""").Args, Is.EqualTo(new LeaseArgs()));
        Assert.That(Parse("""{"id":1,"op":"lease.release","args":{"lease_id":"abc"}}""").Op, Is.EqualTo(Ops.LeaseRelease));
        Assert.That(Parse("""{"id":1,"op":"shutdown_if_idle"}""").Op, Is.EqualTo(Ops.ShutdownIfIdle));
        Assert.That(Parse("""{"id":1,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"198.18.11.2:51820"}}""").Args,
            Is.EqualTo(new RootlessExitArgs { Instance = "nl-1", Endpoint = "198.18.11.2:51820" }));
        Assert.That(Parse("""{"id":1,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"[2001:db8::1]:443"}}""").Op,
            Is.EqualTo(Ops.FirewallRootlessExit));
        Assert.That(Parse("""{"id":1,"op":"firewall.rootless_exit","args":{"instance":"nl-1"}}""").Args,
            Is.EqualTo(new RootlessExitArgs { Instance = "nl-1" }), "the exit is gone");
        var up = System.Text.Json.JsonSerializer.Serialize(new Request { Id = 3, Op = Ops.TunnelUp,
            Args = System.Text.Json.JsonSerializer.SerializeToElement(Samples.ProxyUp(), ProtocolJson.Options) }, ProtocolJson.Options);
        Assert.That(Parse(up).Args, Is.TypeOf<TunnelUpArgs>());
    }

    [Test]
    public void WarmUpBuildsTheMetadataOfEveryListedMessageType() => Assert.DoesNotThrow(ProtocolJson.WarmUp);

    [TestCase("""{"id":5,"op":"ping","extra":1}""", ErrorCodes.BadFrame, 5)]
    [TestCase("""{"id":5,"op":"tunnel.down","args":{"instance":"us-1","interface":"eth0"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"tunnel.down","args":{"instance":"us-1","instance":"x/y"}}""", ErrorCodes.BadFrame, 0)]
    [TestCase("""{"id":5,"op":"ping","op":"pid.kill"}""", ErrorCodes.BadFrame, 0)]
    [TestCase("""{"id":5,"op":"reboot"}""", ErrorCodes.UnknownOperation, 5)]
    [TestCase("""{"id":5,"op":"PING"}""", ErrorCodes.UnknownOperation, 5)]
    [TestCase("""{"v":2,"id":5,"op":"ping"}""", ErrorCodes.VersionMismatch, 5)]
    [TestCase("""{"id":5,"op":"pid.kill","args":{"pid":"12"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"pid.kill","args":{"pid":1.5}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"pid.kill","args":{"pid":99999999999}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"pid.kill"}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"pid.kill","args":[1]}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"ping","args":{"x":1}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"tunnel.list","args":{"check":"no"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"tunnel.list","args":{"checked":false}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"tunnel.down","args":{}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"tunnel.down","args":{"instance":null}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"198.18.11.2:51820","uid":0}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"vpn.example.com:51820"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"198.18.11.2"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":"198.18.11.2:0"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"../x","endpoint":"198.18.11.2:51820"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"endpoint":"198.18.11.2:51820"}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":"firewall.rootless_exit","args":{"instance":"nl-1","endpoint":["198.18.11.2:51820","198.18.12.2:51820"]}}""", ErrorCodes.InvalidArgument, 5)]
    [TestCase("""{"id":5,"op":null}""", ErrorCodes.BadFrame, 5)]
    [TestCase("""{"id":"5","op":"ping"}""", ErrorCodes.BadFrame, 0)]
    [TestCase("""[1,2]""", ErrorCodes.BadFrame, 0)]
    [TestCase("""null""", ErrorCodes.BadFrame, 0)]
    [TestCase("""{"id":5,"op":"pi""", ErrorCodes.BadFrame, 0)]
    [TestCase("\u00ff\u00fe", ErrorCodes.BadFrame, 0)]
    public void Refuses_malformed_requests(string json, string code, long id)
    {
        var e = Refused(json);
        Assert.Multiple(() =>
        {
            Assert.That(e.Code, Is.EqualTo(code));
            Assert.That(e.Id, Is.EqualTo(id));
            Assert.That(e.Message, Does.Not.Contain("\n"));
        });
    }

    [Test]
    public void Refuses_deep_nesting()
    {
        var json = """{"id":1,"op":"ping","args":""" + new string('[', 100) + new string(']', 100) + "}";
        Assert.That(Refused(json).Code, Is.EqualTo(ErrorCodes.BadFrame));
    }

    [Test]
    public void Unknown_field_names_are_not_echoed_raw()
    {
        var e = Refused("{\"id\":1,\"op\":\"tunnel.down\",\"args\":{\"instance\":\"a\",\"x\\ny\\u0000z\":1}}");
        Assert.That(e.Message.All(c => !char.IsControl(c)), Is.True);
    }

    [Test]
    public async Task Framing_round_trips_and_refuses_oversized_and_truncated_frames()
    {
        var ms = new MemoryStream();
        await MessageFraming.WriteAsync(ms, "hello"u8.ToArray(), CancellationToken.None);
        ms.Position = 0;
        using (var frame = await MessageFraming.ReadAsync(ms, CancellationToken.None))
            Assert.That(Encoding.UTF8.GetString(frame!.Payload.Span), Is.EqualTo("hello"));
        Assert.That(await MessageFraming.ReadAsync(ms, CancellationToken.None), Is.Null);

        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, ProtocolInfo.MaxMessageBytes + 1u);
        var e = Assert.ThrowsAsync<PrivilegedException>(() => MessageFraming.ReadAsync(new MemoryStream(header), CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.TooLarge));

        BinaryPrimitives.WriteUInt32BigEndian(header, 10);
        e = Assert.ThrowsAsync<PrivilegedException>(() => MessageFraming.ReadAsync(new MemoryStream([.. header, 1, 2]), CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.BadFrame));
        e = Assert.ThrowsAsync<PrivilegedException>(() => MessageFraming.ReadAsync(new MemoryStream([0, 0]), CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.BadFrame));
        e = Assert.ThrowsAsync<PrivilegedException>(() => MessageFraming.ReadAsync(new MemoryStream([0, 0, 0, 0]), CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.BadFrame));
    }
}
