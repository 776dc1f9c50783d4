using System.Text.Json;
using NUnit.Framework;
using Tunmux.Daemon.Tests.Unit;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// Root never runs a program the caller could have put in its way: a group member runs a command from a
/// folder of its own holding executables named like the daemon's tools, with that folder first on its PATH
/// and sudo passing the PATH on, and asks for a tunnel (which runs ip and wg). None of them may run.
/// </summary>
[NonParallelizable]
public class ToolPathTests
{
    private static readonly string[] Shadowed = ["ip", "wg", "wg-quick", "wireguard-go", "boringtun", "setpriv", "resolvconf", "nft"];

    [TestCase("socket")]
    [TestCase("stdio")]
    public async Task Programs_named_like_the_tools_in_the_callers_folder_and_path_never_run(string transport)
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        TestAccounts.AllowSudo(sandbox.Wrapper, keepCallerPath: true);
        try
        {
            var folder = Path.Combine(sandbox.Root, "member-folder");
            var markers = Path.Combine(sandbox.Root, "ran");
            Directory.CreateDirectory(folder);
            Directory.CreateDirectory(markers);
            File.SetUnixFileMode(markers, (UnixFileMode)0b111_111_111);
            foreach (var tool in Shadowed)
            {
                var fake = Path.Combine(folder, tool);
                // Leaves a mark (as whoever ran it) and claims success, as an attacker's copy would.
                File.WriteAllText(fake, $"#!/bin/sh\necho \"$(id -u) $0 $*\" > '{markers}/{tool}'\nexit 0\n");
                File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
            }
            TestAccounts.Run("chown", "-R", TestAccounts.Member, folder);

            var up = Samples.ProxyUp() with
            {
                Instance = "tmxpath" + transport[0],
                Backend = "auto",
                HandshakeTimeoutMs = 100,
                Profile = Samples.Profile() with
                {
                    // Loopback: nothing leaves the machine; no handshake ever comes, so the daemon rolls back.
                    Peers = [Samples.Profile().Peers[0] with { Endpoint = "127.0.0.1:9" }],
                },
                Proxy = new ProxyArgs { SocksPort = 21080 + transport.Length, HttpPort = 28118 + transport.Length },
            };
            var r = await sandbox.ProbeAsync(TestAccounts.Member, transport, autostart: true, workingDirectory: folder, env: e =>
            {
                e["PATH"] = folder + ":" + e["PATH"];
                e["PROBE_UP"] = JsonSerializer.Serialize(up, ProtocolJson.Options);
            });

            var ran = Directory.GetFiles(markers).Select(f => File.ReadAllText(f).Trim()).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(ran, Is.Empty, "programs from the caller's folder ran: " + string.Join("; ", ran));
                // The daemon did try: the intent reached the tunnel steps (which ran the real ip) and was rolled back.
                Assert.That(r.Message, Does.Contain("bringing up " + up.Instance + " failed at step"), r.ToString());
                Assert.That(File.Exists("/run/netns/tunmux_" + up.Instance), Is.False, "rolled back");
            });
        }
        finally
        {
            TestAccounts.RevokeSudo();
        }
    }

    [Test]
    public void Only_root_owned_programs_in_fixed_folders_are_found()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SystemPaths.Find("ip"), Does.StartWith("/usr/sbin/").Or.StartWith("/sbin/").Or.StartWith("/bin/").Or.StartWith("/usr/bin/"));
            Assert.That(SystemPaths.Find("./ip"), Is.Null);
            Assert.That(SystemPaths.Find("../ip"), Is.Null);
            Assert.That(SystemPaths.Find("tmx-no-such-program"), Is.Null);
            Assert.That(SystemPaths.SearchPath.Split(':'), Does.Not.Contain(".").And.Not.Contain(""));
            Assert.That(SystemPaths.SearchPath, Does.EndWith("/usr/sbin:/usr/bin:/sbin:/bin"));
        });
    }

    [Test]
    public void A_program_or_folder_others_may_write_is_not_trusted()
    {
        if (!TunmuxTestRoot()) Assert.Ignore("needs root: creates root-owned files to compare with");
        var dir = Directory.CreateTempSubdirectory("tmx-trust-").FullName;
        try
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            var good = Path.Combine(dir, "good");
            File.WriteAllText(good, "#!/bin/sh\n");
            File.SetUnixFileMode(good, (UnixFileMode)0b111_101_101);
            var shared = Path.Combine(dir, "shared");
            File.WriteAllText(shared, "#!/bin/sh\n");
            File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_101);
            var notExecutable = Path.Combine(dir, "data");
            File.WriteAllText(notExecutable, "x");
            var link = Path.Combine(dir, "link");
            File.CreateSymbolicLink(link, shared);
            var open = Path.Combine(dir, "open");
            Directory.CreateDirectory(open);
            File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
            var inOpen = Path.Combine(open, "prog");
            File.WriteAllText(inOpen, "#!/bin/sh\n");
            File.SetUnixFileMode(inOpen, (UnixFileMode)0b111_101_101);
            var userOwned = Path.Combine(dir, "users");
            File.WriteAllText(userOwned, "#!/bin/sh\n");
            File.SetUnixFileMode(userOwned, (UnixFileMode)0b111_101_101);
            TestAccounts.Run("chown", "65534", userOwned);

            // /tmp is others-writable, so nothing under it is trusted; the file-level rules are checked on the file alone.
            Assert.Multiple(() =>
            {
                Assert.That(SystemPaths.IsTrustedExecutable(good), Is.False, "under /tmp (world-writable)");
                Assert.That(SystemPaths.IsTrustedExecutable("/usr/sbin/ip") || SystemPaths.IsTrustedExecutable("/sbin/ip"), Is.True);
                Assert.That(SystemPaths.IsTrustedFolder(open), Is.False);
                Assert.That(SystemPaths.IsTrustedFolder("/usr/sbin"), Is.True);
                Assert.That(SystemPaths.RootOwnedNotShared(good, requireExecutable: true), Is.True);
                Assert.That(SystemPaths.RootOwnedNotShared(shared, requireExecutable: true), Is.False, "group-writable");
                Assert.That(SystemPaths.RootOwnedNotShared(userOwned, requireExecutable: true), Is.False, "not root's");
                Assert.That(SystemPaths.RootOwnedNotShared(notExecutable, requireExecutable: true), Is.False, "not executable");
                Assert.That(SystemPaths.IsTrustedExecutable(link), Is.False, "a link to a shared file");
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool TunmuxTestRoot() => Tunmux.TestSupport.Requires.IsRoot;
}
