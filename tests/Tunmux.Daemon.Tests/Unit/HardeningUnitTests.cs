using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>Rules of the daemon that need no process: names, the stdio caller, request fields.</summary>
public class HardeningUnitTests
{
    [Test]
    public void No_instance_name_produces_another_ones_shortened_interface()
    {
        // The pair that met before: a long name's shortened interface was a valid short name's whole one.
        var longName = "abcdefghijklmnopq";
        var shortened = InstanceNames.Interface(longName);
        var random = new Random(13);
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_-";
        var shortNames = Enumerable.Range(0, 20000)
            .Select(_ => new string(Enumerable.Range(0, random.Next(1, 13)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()))
            .Where(InstanceNames.IsValidInstance);
        Assert.Multiple(() =>
        {
            Assert.That(shortened, Does.Contain(InstanceNames.HashSeparator));
            Assert.That(InstanceNames.IsValidInstance(shortened[3..]), Is.False, "no instance name equals the shortened part");
            Assert.That(shortNames.Select(InstanceNames.Interface).Any(i => i.Contains(InstanceNames.HashSeparator)), Is.False);
            Assert.That(shortened, Has.Length.LessThanOrEqualTo(InstanceNames.MaxInterfaceLength));
        });
    }

    private static readonly StdioCaller.Parent Sudo = new(100, 0, 0, IsSudo: true);
    private static readonly StdioCaller.Parent UserShell = new(200, 1000, 1000, IsSudo: false);
    private static readonly StdioCaller.Parent RootShell = new(300, 0, 0, IsSudo: false);

    [Test]
    public void The_stdio_caller_is_sudos_user_or_else_the_parent_which_must_be_root_to_be_treated_as_root()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StdioCaller.Identify("1000", "1000", 0, Sudo), Is.EqualTo(new PeerCredentials(0, 1000, 1000)), "sudo names the user");
            // doas, pkexec, run0: no SUDO_UID; the caller is the parent process, a user's.
            Assert.That(StdioCaller.Identify(null, null, 0, UserShell).Uid, Is.EqualTo(1000u));
            // Under doas with keepenv a user could set SUDO_UID itself: only sudo's word counts.
            Assert.That(StdioCaller.Identify("0", "0", 0, UserShell).Uid, Is.EqualTo(1000u));
            Assert.That(StdioCaller.Identify(null, null, 0, RootShell).Uid, Is.EqualTo(0u));
            Assert.That(StdioCaller.Identify(null, null, 0, null).Uid, Is.Not.EqualTo(0u), "no parent to ask is never root");
        });
    }

    [Test]
    public void A_proxy_username_with_a_colon_is_refused()
    {
        var args = Samples.ProxyUp() with { Proxy = Samples.ProxyUp().Proxy! with { Username = "a:b" } };
        var e = Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(args))!;
        Assert.That(e.Message, Does.Contain("proxy.username: must not contain ':'"));
    }

    [Test]
    public void Boringtun_keeps_root_and_logs_under_the_state_folder()
    {
        var log = "/var/lib/tunmux/userspace/wg-x.log";
        var (args, env) = Tunmux.Privileged.Tunnels.UserspaceProcess.Command("boringtun", "wg-x", log);
        var viaWgQuick = Tunmux.Privileged.Tunnels.UserspaceProcess.WgQuickEnvironment("boringtun", log);
        var (goArgs, _) = Tunmux.Privileged.Tunnels.UserspaceProcess.Command("wireguard-go", "wg-x", log);
        Assert.Multiple(() =>
        {
            Assert.That(args, Does.Contain("--disable-drop-privileges").And.Contain("--foreground"));
            Assert.That(args, Does.Contain(log).And.Not.Contain("/tmp/boringtun.out"));
            Assert.That(args[^1], Is.EqualTo("wg-x"));
            Assert.That(env, Does.Contain("WG_SUDO=1"));
            Assert.That(viaWgQuick["WG_SUDO"], Is.EqualTo("1"));
            Assert.That(viaWgQuick["WG_LOG_FILE"], Is.EqualTo(log));
            Assert.That(viaWgQuick["WG_ERR_LOG_FILE"], Is.EqualTo(log));
            Assert.That(goArgs, Is.EqualTo(new[] { "-f", "wg-x" }), "wireguard-go in the foreground: the daemon keeps its PID");
        });
    }
}
