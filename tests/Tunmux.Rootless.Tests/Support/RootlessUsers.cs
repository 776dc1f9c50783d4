using NUnit.Framework;
using Tunmux.TestSupport.Users;

namespace Tunmux.Rootless.Tests;

/// <summary>
/// The unprivileged users rootless exits are tested as, created once per run with unique names and removed
/// after (in no group of tunmux's, no sudo), and /dev/net/tun made 0666 for the run, then put back.
/// </summary>
[SetUpFixture]
public sealed class RootlessUsers
{
    private static readonly string Suffix = LocalUsers.NewSuffix();
    private IDisposable? _tun;

    /// <summary>The user who owns the exits.</summary>
    public static TestUser Owner { get; private set; } = null!;

    public static string? Unavailable { get; private set; } = "users not set up";

    public static void Require()
    {
        if (Unavailable is { } why) Assert.Ignore(why);
    }

    [OneTimeSetUp]
    public void Create()
    {
        if (LocalUsers.Unavailable() is { } why) { Unavailable = why; return; }
        try
        {
            Owner = LocalUsers.Add("tmxr" + Suffix);
            _tun = LocalUsers.TunMode(LocalUsers.StockTunMode);
            Unavailable = null;
        }
        catch (InvalidOperationException e)
        {
            Unavailable = "could not create test users: " + e.Message;
        }
    }

    [OneTimeTearDown]
    public void Remove()
    {
        _tun?.Dispose();
        if (Owner is not null) LocalUsers.Remove(Owner);
    }

    /// <summary>Sets /dev/net/tun to <paramref name="mode"/> for the length of <paramref name="action"/>, then back.</summary>
    public static void WithTunMode(UnixFileMode mode, Action action)
    {
        using (LocalUsers.TunMode(mode)) action();
    }
}
