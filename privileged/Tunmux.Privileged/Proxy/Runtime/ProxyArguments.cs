using System.Globalization;
using Tunmux.Privileged.Naming;

namespace Tunmux.Privileged.Proxy.Runtime;

/// <summary>
/// Flags of <c>tunmux privileged proxy</c>, written by <see cref="ProxyLauncher"/>:
/// <c>--instance I --socks-fd 3,4 --socks-udp-fd 5,6 --http-fd 7,8 --ready-fd 9 [--credentials-stdin]
/// [--access-log] [--max-connections N] [--handshake-timeout S] [--idle-timeout S]</c>.
/// Descriptors are inherited listening sockets; credentials never travel in argv.
/// </summary>
internal sealed record ProxyArguments
{
    public required string Instance { get; init; }
    public IReadOnlyList<int> SocksFds { get; init; } = [];
    public IReadOnlyList<int> SocksUdpFds { get; init; } = [];
    public IReadOnlyList<int> HttpFds { get; init; } = [];
    public int? ReadyFd { get; init; }
    /// <summary>An inherited sock_diag netlink socket of the host namespace, for asking who owns each client socket.</summary>
    public int? DiagFd { get; init; }
    public bool Share { get; init; }
    public IReadOnlyList<uint> AllowUids { get; init; } = [];
    public IReadOnlyList<uint> AllowGids { get; init; } = [];
    public bool CredentialsOnStdin { get; init; }
    public bool AccessLog { get; init; }
    public int MaxConnections { get; init; } = 4096;
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The arguments, or throws <see cref="ArgumentException"/> with a one-line reason.</summary>
    public static ProxyArguments Parse(IReadOnlyList<string> args)
    {
        string? instance = null;
        IReadOnlyList<int> socks = [], udp = [], http = [];
        int? ready = null, diag = null;
        bool share = false;
        IReadOnlyList<uint> allowUids = [], allowGids = [];
        bool creds = false, access = false;
        var max = 4096;
        TimeSpan handshake = TimeSpan.FromSeconds(15), idle = TimeSpan.FromMinutes(5);
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--instance": instance = Value(); break;
                case "--socks-fd": socks = Fds(Value()); break;
                case "--socks-udp-fd": udp = Fds(Value()); break;
                case "--http-fd": http = Fds(Value()); break;
                case "--ready-fd": ready = Fds(Value())[0]; break;
                case "--diag-fd": diag = Fds(Value())[0]; break;
                case "--share": share = true; break;
                case "--allow-uids": allowUids = Ids(Value(), "--allow-uids"); break;
                case "--allow-gids": allowGids = Ids(Value(), "--allow-gids"); break;
                case "--credentials-stdin": creds = true; break;
                case "--access-log": access = true; break;
                case "--max-connections": max = Positive(Value(), "--max-connections"); break;
                case "--handshake-timeout": handshake = TimeSpan.FromSeconds(Positive(Value(), "--handshake-timeout")); break;
                case "--idle-timeout": idle = TimeSpan.FromSeconds(Positive(Value(), "--idle-timeout")); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (!InstanceNames.IsValidInstance(instance)) throw new ArgumentException("--instance needs a valid instance name");
        if (socks.Count == 0 && http.Count == 0) throw new ArgumentException("nothing to serve: give --socks-fd and/or --http-fd");
        // Fail closed: without a way to tell clients apart, only an exit shared on purpose may serve.
        if (diag is null) throw new ArgumentException("--diag-fd is required: the proxy must be able to check who connects");
        return new ProxyArguments
        {
            Instance = instance!, SocksFds = socks, SocksUdpFds = udp, HttpFds = http, ReadyFd = ready,
            CredentialsOnStdin = creds, AccessLog = access, MaxConnections = max, HandshakeTimeout = handshake, IdleTimeout = idle,
            DiagFd = diag, Share = share, AllowUids = allowUids, AllowGids = allowGids,
        };
    }

    private static int[] Fds(string text)
    {
        var list = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var fds = new int[list.Length];
        for (var i = 0; i < list.Length; i++)
            if (!int.TryParse(list[i], NumberStyles.None, CultureInfo.InvariantCulture, out fds[i]) || fds[i] < 3)
                throw new ArgumentException($"'{text}' is not a list of inherited descriptors (3 and up)");
        return fds.Length > 0 ? fds : throw new ArgumentException("empty descriptor list");
    }

    private static uint[] Ids(string text, string flag)
    {
        var list = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var ids = new uint[list.Length];
        for (var i = 0; i < list.Length; i++)
            if (!uint.TryParse(list[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new ArgumentException($"{flag} needs a list of numeric ids");
        return ids;
    }

    private static int Positive(string text, string flag) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new ArgumentException($"{flag} needs a positive whole number");

    /// <summary>The argument vector for these settings (inverse of <see cref="Parse"/>).</summary>
    public IReadOnlyList<string> ToArgs()
    {
        var a = new List<string> { "--instance", Instance };
        if (SocksFds.Count > 0) a.AddRange(["--socks-fd", string.Join(',', SocksFds)]);
        if (SocksUdpFds.Count > 0) a.AddRange(["--socks-udp-fd", string.Join(',', SocksUdpFds)]);
        if (HttpFds.Count > 0) a.AddRange(["--http-fd", string.Join(',', HttpFds)]);
        if (ReadyFd is { } r) a.AddRange(["--ready-fd", r.ToString(CultureInfo.InvariantCulture)]);
        if (DiagFd is { } d) a.AddRange(["--diag-fd", d.ToString(CultureInfo.InvariantCulture)]);
        if (Share) a.Add("--share");
        if (AllowUids.Count > 0) a.AddRange(["--allow-uids", string.Join(',', AllowUids)]);
        if (AllowGids.Count > 0) a.AddRange(["--allow-gids", string.Join(',', AllowGids)]);
        if (CredentialsOnStdin) a.Add("--credentials-stdin");
        if (AccessLog) a.Add("--access-log");
        a.AddRange(["--max-connections", MaxConnections.ToString(CultureInfo.InvariantCulture)]);
        a.AddRange(["--handshake-timeout", ((int)HandshakeTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);
        a.AddRange(["--idle-timeout", ((int)IdleTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);
        return a;
    }
}
