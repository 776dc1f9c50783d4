using System.Net;
using NUnit.Framework;
using Tunmux.Privileged.Firewall;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>The bookkeeping of rootless exits' holes in tunmux's firewall: one endpoint per exit, bounded per user and in all.</summary>
public class RootlessExitHolesTests
{
    [Test]
    public void One_endpoint_per_exit_a_later_one_replaces_it_and_each_user_has_its_own()
    {
        var holes = new List<RootlessExitHole>();
        RootlessExitHoles.Set(holes, 1000, "nl-1", "198.18.11.2:51820");
        RootlessExitHoles.Set(holes, 1000, "nl-1", "198.18.12.2:51820");
        RootlessExitHoles.Set(holes, 1001, "nl-1", "198.18.13.2:51820");
        var sockets = RootlessExitHoles.Sockets(holes).ToList();
        Assert.That(sockets, Is.EqualTo(new[]
        {
            ExitSocket.ByOwner(IPAddress.Parse("198.18.12.2"), 51820, 1000),
            ExitSocket.ByOwner(IPAddress.Parse("198.18.13.2"), 51820, 1001),
        }));
        Assert.Multiple(() =>
        {
            Assert.That(RootlessExitHoles.Remove(holes, 1001, "nl-2"), Is.False, "not that user's exit");
            Assert.That(RootlessExitHoles.Remove(holes, 1002, "nl-1"), Is.False, "another user cannot remove it");
            Assert.That(RootlessExitHoles.Remove(holes, 1000, "nl-1"), Is.True);
            Assert.That(RootlessExitHoles.Sockets(holes).Select(s => s.OwnerUid), Is.EqualTo(new uint?[] { 1001 }));
        });
    }

    [Test]
    public void A_user_may_hold_a_bounded_number_and_all_users_together_too()
    {
        var holes = new List<RootlessExitHole>();
        for (var i = 0; i < RootlessExitHoles.MaxPerUser; i++) RootlessExitHoles.Set(holes, 1000, $"x-{i}", "198.18.11.2:51820");
        var over = Assert.Throws<PrivilegedException>(() => RootlessExitHoles.Set(holes, 1000, "x-one-more", "198.18.11.2:51820"))!;
        Assert.That(over.Message, Does.Contain("disconnect one of them first"));
        Assert.DoesNotThrow(() => RootlessExitHoles.Set(holes, 1000, "x-0", "198.18.12.2:51820"), "moving one it has is no new hole");

        for (var uid = 2000u; holes.Count < RootlessExitHoles.MaxTotal; uid++)
            for (var i = 0; i < RootlessExitHoles.MaxPerUser && holes.Count < RootlessExitHoles.MaxTotal; i++)
                RootlessExitHoles.Set(holes, uid, $"x-{i}", "198.18.11.2:51820");
        var full = Assert.Throws<PrivilegedException>(() => RootlessExitHoles.Set(holes, 5000, "x-0", "198.18.11.2:51820"))!;
        Assert.That((full.Code, holes.Count), Is.EqualTo((ErrorCodes.Conflict, RootlessExitHoles.MaxTotal)));
    }

    [TestCase("vpn.example.com:51820")]
    [TestCase("198.18.11.2")]
    [TestCase("198.18.11.2:0")]
    [TestCase("198.18.11.2:70000")]
    public void Only_an_address_and_a_port_make_a_hole(string endpoint)
    {
        var holes = new List<RootlessExitHole>();
        Assert.Throws<PrivilegedException>(() => RootlessExitHoles.Set(holes, 1000, "nl-1", endpoint));
        // A hand-edited or damaged state file never widens the table: an unreadable entry makes no rule.
        holes.Add(new RootlessExitHole { Uid = 1000, Instance = "nl-1", Endpoint = endpoint });
        Assert.That(RootlessExitHoles.Sockets(holes), Is.Empty);
    }
}
