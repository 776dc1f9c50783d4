using System.Runtime.InteropServices;
using Tunmux.Host.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Doctor;

/// <summary>
/// Everything <c>tunmux doctor</c> learns about the machine, in one place so each check can be run
/// against a machine with or without a prerequisite. Files and programs are looked up under
/// <see cref="Root"/>: <c>/</c>, or a test root (<c>TUNMUX_DOCTOR_ROOT</c>) holding <c>proc/sys/...</c>,
/// <c>sys/module/...</c>, <c>dev/net/tun</c>, <c>etc/group</c> and <c>usr/bin/...</c> as the test wants
/// them. Who is asking, the clock and the daemon are plain values and functions a test replaces.
/// </summary>
internal sealed class Machine
{
    public required string Root { get; init; }
    public required uint Uid { get; init; }
    public required string UserName { get; init; }

    /// <summary>The groups of this process (what the kernel checks on the daemon's socket).</summary>
    public required IReadOnlyList<uint> ProcessGroups { get; init; }

    public Func<DateTimeOffset> Now { get; init; } = () => DateTimeOffset.UtcNow;

    /// <summary>A time this clock cannot be before: when this tunmux was built (its files' date).</summary>
    public required DateTimeOffset NotBefore { get; init; }

    /// <summary>Whether the kernel's clock is disciplined by a time server; null when it cannot tell.</summary>
    public Func<bool?> ClockSynchronized { get; init; } = () => null;

    /// <summary>Asks the daemon on its socket; by default the real client.</summary>
    public required Func<PrivilegedClientOptions, CancellationToken, Task<DaemonProbe>> ProbeDaemon { get; init; }

    /// <summary>The executable the daemon is started from, as the autostart names it to sudo.</summary>
    public required string DaemonExecutable { get; init; }

    /// <summary>Arguments before tunmux's own (<c>tunmux.dll</c> when run through <c>dotnet</c>).</summary>
    public IReadOnlyList<string> DaemonPrefixArgs { get; init; } = [];

    public static Machine Current()
    {
        var root = Environment.GetEnvironmentVariable("TUNMUX_DOCTOR_ROOT") is { Length: > 0 } r ? r : "/";
        var gids = new uint[256];
        var count = GetGroups(gids.Length, gids);
        var groups = gids.Take(Math.Max(0, count)).Append(Native.GetGid()).Distinct().ToList();
        return new Machine
        {
            Root = root,
            Uid = Native.GetUid(),
            UserName = Environment.UserName,
            ProcessGroups = groups,
            NotBefore = BuildDate(),
            ClockSynchronized = KernelClockSynchronized,
            ProbeDaemon = DaemonProbe.AskAsync,
            DaemonExecutable = SelfExecutable.Resolve().File,
            DaemonPrefixArgs = SelfExecutable.Resolve().PrefixArgs,
        };
    }

    /// <summary>An absolute path of the machine, under the test root when there is one.</summary>
    public string PathOf(string absolute) => Root == "/" ? absolute : Path.Combine(Root, absolute.TrimStart('/'));

    /// <summary>The first line of a small file, trimmed; null when it is missing or unreadable.</summary>
    public string? ReadLine(string absolute)
    {
        try
        {
            return File.ReadLines(PathOf(absolute)).FirstOrDefault()?.Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool Exists(string absolute) => File.Exists(PathOf(absolute)) || Directory.Exists(PathOf(absolute));

    /// <summary>A program in the folders the daemon takes programs from, or null.</summary>
    public string? Tool(string name)
    {
        foreach (var dir in SystemPaths.SystemFolders.Concat(SystemPaths.LocalFolders))
        {
            var candidate = PathOf(Path.Combine(dir, name));
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0) return candidate;
        }
        return null;
    }

    /// <summary>A group's id and members from the group database (<c>getent</c>, or the test root's etc/group).</summary>
    public async Task<GroupEntry?> GroupAsync(string name, CancellationToken ct)
    {
        string? line;
        if (Root == "/")
        {
            var result = await ProcessRunner.Default.RunAsync("getent", ["group", name], timeout: TimeSpan.FromSeconds(5), cancellationToken: ct);
            line = result.Succeeded ? result.StandardOutput.Trim() : null;
        }
        else
        {
            var file = PathOf("/etc/group");
            line = File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) : null;
        }
        var fields = line?.Split(':');
        if (fields is not { Length: >= 4 } || !uint.TryParse(fields[2], out var gid)) return null;
        return new GroupEntry(name, gid, fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The user's primary group in the user database (getent passwd, or the test root's etc/passwd).</summary>
    public async Task<uint?> PrimaryGidAsync(CancellationToken ct)
    {
        string? line;
        if (Root == "/")
        {
            var result = await ProcessRunner.Default.RunAsync("getent", ["passwd", UserName], timeout: TimeSpan.FromSeconds(5), cancellationToken: ct);
            line = result.Succeeded ? result.StandardOutput.Trim() : null;
        }
        else
        {
            var file = PathOf("/etc/passwd");
            line = File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(UserName + ":", StringComparison.Ordinal)) : null;
        }
        var fields = line?.Split(':');
        return fields is { Length: >= 4 } && uint.TryParse(fields[3], out var gid) ? gid : null;
    }

    /// <summary>Runs a program found with <see cref="Tool"/> (so a test root's fakes run), with a short timeout.</summary>
    public Task<ProcessResult> RunAsync(string path, IReadOnlyList<string> args, CancellationToken ct) =>
        ProcessRunner.Default.RunAsync(path, args, timeout: TimeSpan.FromSeconds(10),
            environment: new Dictionary<string, string> { ["LC_ALL"] = "C" }, cancellationToken: ct);

    /// <summary>The date of this tunmux's own files: the package and the install keep the build's date.</summary>
    private static DateTimeOffset BuildDate()
    {
        var file = typeof(Machine).Assembly.Location;
        return file.Length > 0 && File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTimeOffset.MinValue;
    }

    /// <summary>adjtimex(2) without changing anything: the status's STA_UNSYNC bit says whether NTP disciplines the clock.</summary>
    private static bool? KernelClockSynchronized()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return null;
        // struct timex is 208 bytes on 64-bit Linux; 'modes' (0 = read only) at offset 0, 'status' (int) at offset 48.
        var buffer = new byte[208];
        var state = AdjTimex(buffer);
        if (state < 0) return null;
        const int staUnsync = 0x0040;
        const int timeError = 5;
        var status = BitConverter.ToInt32(buffer, 48);
        return state != timeError && (status & staUnsync) == 0;
    }

    [DllImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    private static extern int AdjTimex(byte[] timex);

    [DllImport("libc", EntryPoint = "getgroups", SetLastError = true)]
    private static extern int GetGroups(int size, uint[] list);
}

/// <summary>One group of the group database.</summary>
internal sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

/// <summary>What the daemon's socket answered.</summary>
internal sealed record DaemonProbe(DaemonState State, string? Version, string? Error)
{
    /// <summary>Connects without autostarting and asks for the version.</summary>
    public static async Task<DaemonProbe> AskAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using var client = await PrivilegedClient.TryConnectAsync(options, timeout.Token);
            if (client is null) return new DaemonProbe(DaemonState.NotRunning, null, null);
            var version = await client.PingAsync(timeout.Token);
            return new DaemonProbe(DaemonState.Reachable, version.Version, null);
        }
        catch (PrivilegedException e) when (e.Code == ErrorCodes.Unauthorized)
        {
            return new DaemonProbe(DaemonState.Denied, null, e.Message);
        }
        catch (Exception e) when (e is PrivilegedException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return new DaemonProbe(DaemonState.Broken, null, e.Message);
        }
    }
}

internal enum DaemonState { Reachable, NotRunning, Denied, Broken }
