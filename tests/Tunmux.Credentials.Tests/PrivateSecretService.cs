using System.Diagnostics;
using NUnit.Framework;
using Tmds.DBus.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Credentials.Tests;

/// <summary>
/// A private D-Bus session (dbus-daemon with its own config: no service activation, so nothing
/// starts behind the test's back) and, optionally, a gnome-keyring-daemon serving the Secret Service
/// on it, unlocked with a known password. Every process is ended by its PID on dispose.
/// </summary>
internal sealed class PrivateSecretService : IDisposable
{
    public const string KeyringPassword = "test-keyring-password";

    private readonly TempDir _dir = new("tunmux-keyring-");
    private readonly List<Process> _processes = [];

    public string Address { get; private set; } = "";

    /// <summary>PID of the gnome-keyring-daemon, or 0 without one.</summary>
    public int KeyringPid { get; private set; }

    public static PrivateSecretService Start(bool withKeyring)
    {
        Requires.Command("dbus-daemon", "dbus");
        if (withKeyring)
        {
            Requires.Command("gnome-keyring-daemon", "gnome-keyring");
        }
        var s = new PrivateSecretService();
        try
        {
            s.StartBus();
            if (withKeyring) s.StartKeyring();
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>Environment for child programs (secret-tool) that must talk to this bus only.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["DBUS_SESSION_BUS_ADDRESS"] = Address,
        ["HOME"] = _dir.Path,
        ["XDG_DATA_HOME"] = _dir.Combine("data"),
        ["XDG_RUNTIME_DIR"] = _dir.Combine("run"),
        ["XDG_CONFIG_HOME"] = _dir.Combine("config"),
    };

    private void StartBus()
    {
        var socket = _dir.Combine("bus");
        var config = _dir.Combine("session.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={socket}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var bus = Launch("dbus-daemon", ["--config-file=" + config, "--nofork", "--print-address=1"], stdin: null);
        var line = bus.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        Address = line?.Trim() is { Length: > 0 } a ? a : throw new InvalidOperationException("dbus-daemon printed no address");
    }

    private void StartKeyring()
    {
        foreach (var d in new[] { "data", "run", "config" }) Directory.CreateDirectory(_dir.Combine(d));
        var keyring = Launch("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], stdin: KeyringPassword);
        KeyringPid = keyring.Id;
        // The daemon is ready when it owns org.freedesktop.secrets on our bus.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (keyring.HasExited) throw new InvalidOperationException($"gnome-keyring-daemon exited with {keyring.ExitCode}");
            if (HasOwnerAsync("org.freedesktop.secrets").GetAwaiter().GetResult() && HasDefaultCollectionAsync().GetAwaiter().GetResult()) return;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException("gnome-keyring-daemon did not register on the private bus within 15 s");
    }

    private Process Launch(string file, string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        _processes.Add(p);
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    public async Task<bool> HasOwnerAsync(string name)
    {
        using var c = new DBusConnection(Address);
        await c.ConnectAsync();
        var names = await c.ListServicesAsync();
        return names.Contains(name);
    }

    private async Task<bool> HasDefaultCollectionAsync()
    {
        using var c = new DBusConnection(Address);
        await c.ConnectAsync();
        return await ReadDefaultAliasAsync(c) != "/";
    }

    private static Task<string> ReadDefaultAliasAsync(DBusConnection c)
    {
        var w = c.GetMessageWriter();
        MessageBuffer m;
        try
        {
            w.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias", "s");
            w.WriteString("default");
            m = w.CreateMessage();
        }
        finally { w.Dispose(); }
        return c.CallMethodAsync(m, (msg, _) => msg.GetBodyReader().ReadObjectPathAsString(), null);
    }

    /// <summary>Locks the default collection through the Secret Service's own Lock method (no prompt needed to lock).</summary>
    public async Task LockDefaultCollectionAsync()
    {
        using var c = new DBusConnection(Address);
        await c.ConnectAsync();
        var collection = await ReadDefaultAliasAsync(c);
        var w = c.GetMessageWriter();
        MessageBuffer m;
        try
        {
            w.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock", "ao");
            w.WriteArray(new[] { new ObjectPath(collection) });
            m = w.CreateMessage();
        }
        finally { w.Dispose(); }
        var prompt = await c.CallMethodAsync(m, (msg, _) => { var r = msg.GetBodyReader(); r.ReadArrayOfObjectPath(); return r.ReadObjectPathAsString(); }, null);
        Assert.That(prompt, Is.EqualTo("/"), "locking should not need a prompt");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) the keyring daemon: a service that stops answering.</summary>
    public void FreezeKeyring(bool frozen) => Kill(KeyringPid, frozen ? 19 : 18);

    public void Dispose()
    {
        if (KeyringPid != 0) FreezeKeyring(false); // a stopped process would not act on SIGKILL until continued on some kernels
        // Newest first: the keyring daemon before the bus it talks to.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            var p = _processes[i];
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        _dir.Dispose();
    }
}
