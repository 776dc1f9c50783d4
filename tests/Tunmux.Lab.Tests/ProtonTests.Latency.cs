using System.Text.Json;
using NUnit.Framework;
using Tunmux.LabTests.Support;

namespace Tunmux.LabTests;

/// <summary>
/// <c>servers --sort latency</c> against the lab: server 1 (NL, first in Proton's score order) answers
/// probes late through <c>late-responder.py</c>, server 2 (DE) answers at once. The host probes by ICMP
/// echo where the host stand-in's <c>ping_group_range</c> allows unprivileged ping, else by UDP; the
/// responder's log says which probe reached it.
/// </summary>
public sealed partial class ProtonTests
{
    private static readonly TimeSpan ProbeDelay = TimeSpan.FromMilliseconds(300);

    [Test]
    public void Servers_sort_latency_orders_by_icmp_echo_where_unprivileged_ping_is_allowed() =>
        SortLatencyOrdersByTheDelay(pingGroupRange: "0 2147483647", method: "icmp");

    [Test]
    public void Servers_sort_latency_orders_by_the_udp_probe_where_unprivileged_ping_is_off() =>
        SortLatencyOrdersByTheDelay(pingGroupRange: "1 0", method: "udp");

    private void SortLatencyOrdersByTheDelay(string pingGroupRange, string method)
    {
        var tm = StartSession();
        Track(new NamespaceSysctl(tm.Namespace, "net.ipv4.ping_group_range", pingGroupRange));
        var slow = Track(LateResponder.Start(Lab.ServerNamespace(1), ProbeDelay));
        string nl = ServerName("NL#1"), de = ServerName("DE#1");

        var plain = ServersJson(tm.Tunmux("proton", "servers", "--json"));
        Assert.That(plain.Select(s => s.Name), Is.EqualTo(new[] { nl, de }), "Proton's order (score) puts NL first");
        Assert.That(plain.Select(s => s.LatencyMs), Is.All.Null, "no measurement without --sort latency");

        var sorted = ServersJson(tm.Tunmux("proton", "servers", "--sort", "latency", "--json"));
        TestContext.Out.WriteLine($"{method}: " + string.Join(", ", sorted.Select(s => $"{s.Name} {s.LatencyMs} ms")));
        Assert.That(sorted.Select(s => s.Name), Is.EqualTo(new[] { de, nl }), "the late server goes last");
        var (fast, late) = (sorted[0].LatencyMs, sorted[1].LatencyMs);
        Assert.That(late, Is.GreaterThanOrEqualTo(ProbeDelay.TotalMilliseconds), "the late server is measured at least its delay");
        Assert.That(fast, Is.Not.Null.And.LessThan(ProbeDelay.TotalMilliseconds), "the prompt server is measured below the delay");

        var table = tm.Tunmux("proton", "servers", "--sort", "latency");
        AssertOk(table, "proton servers --sort latency");
        TestContext.Out.WriteLine(table.Output);
        var lines = table.Output.Split('\n');
        Assert.That(lines[0], Does.Contain("LATENCY"));
        var deRow = Array.FindIndex(lines, l => l.StartsWith(de + " ", StringComparison.Ordinal));
        var nlRow = Array.FindIndex(lines, l => l.StartsWith(nl + " ", StringComparison.Ordinal));
        Assert.That(deRow, Is.GreaterThan(0).And.LessThan(nlRow), table.Output);
        Assert.That(lines[nlRow], Does.Match(@"\b\d+ ms\b"));

        // One probe per measuring run reached the late server, by the expected method only: ICMP answered
        // within the budget's first share, so the UDP probe never started; without ICMP the UDP probe is first.
        var expected = new[] { $"{method} {Lab.HostAddress}", $"{method} {Lab.HostAddress}" };
        WaitFor(() => slow.Probes.Count >= expected.Length);
        Assert.That(slow.Probes, Is.EqualTo(expected), "probes the late server received");
    }

    private sealed record ServerRow(string Name, double? LatencyMs);

    private static List<ServerRow> ServersJson(TestSupport.Lab.LabResult r)
    {
        AssertOk(r, "proton servers --json");
        using var doc = JsonDocument.Parse(r.Output);
        return [.. doc.RootElement.GetProperty("servers").EnumerateArray().Select(s => new ServerRow(
            s.GetProperty("name").GetString()!,
            s.GetProperty("latency_ms").ValueKind == JsonValueKind.Number ? s.GetProperty("latency_ms").GetDouble() : null))];
    }

    private static void WaitFor(Func<bool> condition, int timeoutMs = 2000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition() && Environment.TickCount64 < deadline) Thread.Sleep(20);
    }
}
