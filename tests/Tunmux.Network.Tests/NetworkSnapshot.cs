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
