using NUnit.Framework;
using Tunmux.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Tunnels;
using Tunmux.Privileged.Tunnels.Steps;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>Direct mode's resolv.conf: resolved once, root's only, never through a link put there later, removed when it was not there.</summary>
[NonParallelizable]
public class ResolvConfTests
{
    private static TunnelContext Context(TempDir dir, string resolvConf)
    {
        var paths = new PrivilegedPaths(dir.Combine("run"), dir.Combine("state"));
        var tools = new SystemTools { ResolvConfPath = resolvConf, Which = _ => null, ResolvedActive = () => false };
        var commands = new SystemCommands(new ProcessRunner(), tools);
        var store = new TunnelRecordStore(dir.Combine("state", "tunnels"));
        return new TunnelContext
        {
            KillSwitch = new KillSwitch(paths, store, () => commands, new ProcessRunner()),
            Record = new TunnelRecord
            {
                Instance = "_direct", Provider = "p", Mode = "direct", Backend = "kernel", Interface = "wg-x",
                PeerPublicKey = Samples.Key2, Endpoint = "198.18.0.1:51820", Dns = ["10.2.0.1"],
            },
            Commands = commands,
            Store = store,
            Paths = paths,
            Pids = new ManagedPids(paths.ManagedPidsDir),
            ProxyLauncher = null!,
        };
    }

    [Test]
    public async Task A_file_that_was_not_there_is_removed_on_restore_and_one_that_was_gets_its_bytes_back()
    {
        using var dir = new TempDir();
        var missing = dir.Combine("none", "resolv.conf");
        Directory.CreateDirectory(dir.Combine("none"));
        var c = Context(dir, missing);
        await DirectDnsSteps.Dns().Do(c, CancellationToken.None);
        Assert.That(File.ReadAllText(missing), Does.Contain("nameserver 10.2.0.1"));
        await DirectDnsSteps.Dns().Undo(c, CancellationToken.None);
        Assert.That(File.Exists(missing), Is.False, "there was none before");

        var present = dir.Combine("resolv.conf");
        File.WriteAllBytes(present, [1, 2, 3, (byte)'\n']);
        var c2 = Context(dir, present);
        await DirectDnsSteps.Dns().Do(c2, CancellationToken.None);
        await DirectDnsSteps.Dns().Undo(c2, CancellationToken.None);
        Assert.That(File.ReadAllBytes(present), Is.EqualTo(new byte[] { 1, 2, 3, (byte)'\n' }));
    }

    [Test]
    public async Task A_link_to_a_file_another_user_owns_is_refused_and_a_link_put_there_later_is_not_followed()
    {
        Requires.Root("needs files owned by another user");
        using var dir = new TempDir();
        var theirs = dir.Combine("theirs");
        File.WriteAllText(theirs, "nameserver 192.0.2.1\n");
        File.SetUnixFileMode(theirs, (UnixFileMode)0b110_100_100);
        Integration.TestAccounts.Run("chown", "65534", theirs);
        var link = dir.Combine("resolv.conf");
        File.CreateSymbolicLink(link, theirs);
        var e = Assert.ThrowsAsync<CommandFailedException>(() => DirectDnsSteps.Dns().Do(Context(dir, link), CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("belongs to uid 65534"));
        Assert.That(File.ReadAllText(theirs), Is.EqualTo("nameserver 192.0.2.1\n"), "untouched");

        // Resolved once at up; a link swapped in at that path afterwards is not written through on restore.
        var real = dir.Combine("real");
        File.WriteAllText(real, "original\n");
        var c = Context(dir, real);
        await DirectDnsSteps.Dns().Do(c, CancellationToken.None);
        File.Delete(real);
        File.CreateSymbolicLink(real, theirs);
        Assert.ThrowsAsync<CommandFailedException>(() => DirectDnsSteps.Dns().Undo(c, CancellationToken.None));
        Assert.That(File.ReadAllText(theirs), Is.EqualTo("nameserver 192.0.2.1\n"), "never written through the link");
    }
}
