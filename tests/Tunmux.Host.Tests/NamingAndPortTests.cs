using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Host.State;
using Tunmux.Privileged.Naming;

namespace Tunmux.Host.Tests;

[TestFixture]
public sealed class NamingTests
{
    [TestCase("US#1", "us-1")]
    [TestCase("Castor", "castor")]
    [TestCase("CH-US#12", "ch-us-12")]
    [TestCase("  Weird  Name!! ", "weird-name")]
    [TestCase("###", "server")]
    [TestCase("Ünïcode#3", "n-code-3")]
    public void InstanceFromServerName(string server, string instance)
    {
        Assert.That(InstanceNames.FromServerName(server), Is.EqualTo(instance));
        Assert.That(InstanceNames.IsValidInstance(instance), Is.True);
    }

    [Test]
    public void SecondConnectionToTheSameServerGetsADistinctInstance()
    {
        var taken = new HashSet<string> { "us-1" };
        var second = InstanceNames.Unique("us-1", taken);
        taken.Add(second);
        var third = InstanceNames.Unique("us-1", taken);
        Assert.That(new[] { second, third }, Is.EqualTo(new[] { "us-1_2", "us-1_3" }));
    }

    [Test]
    public void UniqueAvoidsInterfaceClashesToo()
    {
        // Two names whose shortened interfaces clashed would be told apart by the suffix.
        var taken = new HashSet<string> { "very-long-server-name-1" };
        var next = InstanceNames.Unique("very-long-server-name-1", taken);
        Assert.That(InstanceNames.Interface(next), Is.Not.EqualTo(InstanceNames.Interface("very-long-server-name-1")));
    }

    [Test]
    public void InterfaceAndNamespaceDerivedFromInstance()
    {
        Assert.Multiple(() =>
        {
            Assert.That(InstanceNames.Interface("us-1"), Is.EqualTo("wg-us-1"));
            Assert.That(InstanceNames.Namespace("us-1"), Is.EqualTo("tunmux_us-1"));
            Assert.That(InstanceNames.Interface("castor"), Is.EqualTo("wg-castor"));
        });
    }

    [Test]
    public void LongNamesAreShortenedDeterministicallyWithoutCollisions()
    {
        var names = Enumerable.Range(0, 5000).Select(i => $"very-long-server-name-{i}").ToList();
        var interfaces = names.Select(InstanceNames.Interface).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(interfaces.All(i => i.Length <= 15), Is.True);
            Assert.That(interfaces.Distinct().Count(), Is.EqualTo(names.Count));
            Assert.That(names.Select(InstanceNames.Interface), Is.EqualTo(interfaces), "same name, same interface");
            Assert.That(InstanceNames.Interface("abcdefghijkl"), Is.EqualTo("wg-abcdefghijkl"), "12 characters still fit whole");
            Assert.That(InstanceNames.Interface("abcdefghijklm"), Does.Match("^wg-abc\\.[a-z2-7]{8}$"), "a dot: no instance name holds one");
        });
    }

    [TestCase("")]
    [TestCase("../etc")]
    [TestCase("a/b")]
    [TestCase("a.b")]
    [TestCase("UPPER")]
    [TestCase("with space")]
    [TestCase("-")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void InvalidInstanceNames(string name) => Assert.That(InstanceNames.IsValidInstance(name), Is.False);
}

[TestFixture]
public sealed class PortAllocatorTests
{
    private static ConnectionState Instance(string name, int socks, int http) => new()
    {
        Instance = name, Provider = "p", Server = name, Mode = "proxy", Backend = "userspace", Interface = "wg-" + name,
        SocksPort = socks, HttpPort = http,
    };

    [Test]
    public void FirstPairThenTheNext()
    {
        var alloc = new PortAllocator(_ => false);
        var first = alloc.Assign([], null, null);
        var second = alloc.Assign([Instance("a", first.Socks, first.Http)], null, null);
        Assert.That(new[] { first, second }, Is.EqualTo(new[] { (1080, 8118), (1081, 8119) }));
    }

    [Test]
    public void ManyInstancesGetDistinctPairs()
    {
        var alloc = new PortAllocator(_ => false);
        var held = new List<ConnectionState>();
        for (var i = 0; i < 50; i++)
        {
            var (s, h) = alloc.Assign(held, null, null);
            held.Add(Instance("i" + i, s, h));
        }
        var all = held.SelectMany(x => new[] { x.SocksPort!.Value, x.HttpPort!.Value }).ToList();
        Assert.That(all.Distinct().Count(), Is.EqualTo(100));
    }

    [Test]
    public void PortsBoundByAnotherProcessAreSkipped()
    {
        // A real listener on 127.0.0.1 stands in for another program holding a port.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var busy = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.That(PortAllocator.IsBoundOnLoopback(busy), Is.True);

        var alloc = new PortAllocator(p => p == busy || PortAllocator.IsBoundOnLoopback(p));
        var e = Assert.Throws<InvalidOperationException>(() => alloc.Assign([], busy, null))!;
        Assert.That(e.Message, Does.Contain($"--socks-port {busy} is in use by another process"));

        var fake = new PortAllocator(p => p is 1080 or 8119);
        Assert.That(fake.Assign([], null, null), Is.EqualTo((1082, 8120)), "1080 and 8119 are taken, so pairs 0 and 1 are skipped");
    }

    [Test]
    public void ExplicitPortsAreValidated()
    {
        var alloc = new PortAllocator(_ => false);
        Assert.Multiple(() =>
        {
            Assert.That(alloc.Assign([], 9050, 3128), Is.EqualTo((9050, 3128)));
            Assert.That(() => alloc.Assign([], 0, null), Throws.TypeOf<UsageException>().With.Message.Contains("out of range"));
            Assert.That(() => alloc.Assign([], 9050, 9050), Throws.TypeOf<UsageException>().With.Message.Contains("two different ports"));
            Assert.That(() => alloc.Assign([Instance("a", 9050, 3128)], 9050, null),
                Throws.InvalidOperationException.With.Message.Contains("already used by another tunmux instance"));
            Assert.That(alloc.Assign([], 9050, null), Is.EqualTo((9050, 8118)), "only the SOCKS port given: HTTP is assigned");
        });
    }
}
