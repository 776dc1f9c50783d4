using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests;

/// <summary>Everything of a namespace's networking a tunnel could change, to compare before and after.</summary>
public sealed record NetworkSnapshot(string Links, string Routes, string Rules, string ResolvConf)
{
    /// <summary>Taken with <c>ip netns exec</c>, so resolv.conf is the namespace's own file when it has one.</summary>
    public static NetworkSnapshot Of(string ns)
    {
        string Ip(params string[] args) => Lab.Check(Lab.Run("ip", ["-n", ns, .. args]));
        var resolv = Lab.InNamespace(ns, "cat", "/etc/resolv.conf");
        return new NetworkSnapshot(
            Ip("-o", "link", "show"),
            Ip("-4", "route", "show", "table", "all") + Ip("-6", "route", "show", "table", "all"),
            Ip("-4", "rule", "show") + Ip("-6", "rule", "show"),
            resolv.Output);
    }
}

public static class SnapshotAssert
{
    /// <summary>
    /// Compares a namespace to an earlier snapshot, allowing the kernel a moment to finish
    /// removing a deleted link's routes; on a mismatch the message shows only the lines that differ.
    /// </summary>
    public static void Unchanged(string ns, NetworkSnapshot before, string? why = null)
    {
        var now = NetworkSnapshot.Of(ns);
        for (var i = 0; i < 40 && now != before; i++)
        {
            Thread.Sleep(50);
            now = NetworkSnapshot.Of(ns);
        }
        if (now == before) return;
        static IEnumerable<string> Lines(NetworkSnapshot s) =>
            (s.Links + "\n" + s.Routes + "\n" + s.Rules + "\n" + s.ResolvConf).Split('\n');
        var gone = Lines(before).Except(Lines(now));
        var added = Lines(now).Except(Lines(before));
        NUnit.Framework.Assert.Fail($"{ns} changed {why}: missing [{string.Join(" | ", gone)}], added [{string.Join(" | ", added)}]");
    }
}
