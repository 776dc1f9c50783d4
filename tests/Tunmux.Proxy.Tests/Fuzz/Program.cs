using SharpFuzz;
using Tunmux.Privileged.Proxy.Server;

namespace Tunmux.Proxy.Fuzz;

/// <summary>
/// Fuzz target for the code that reads a proxy client's bytes first. The first byte of an input picks the
/// parser, the rest is its input: the SOCKS5 address (request and UDP header), the HTTP request head with
/// its target authority and headers, or an HTTP chunk-size line. Each must accept or refuse; any exception
/// is a finding. <c>--afl</c> runs under AFL++ (build/fuzz.sh); no argument under libFuzzer; file
/// arguments replay those inputs once each.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--afl"])
        {
            Fuzzer.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                Target.Run(buffer.ToArray());
            });
            return;
        }
        if (args.Length > 0)
        {
            foreach (var file in args) Target.Run(File.ReadAllBytes(file));
            return;
        }
        Fuzzer.LibFuzzer.Run(span => Target.Run(span));
    }
}

/// <summary>The property checked on every input (also run in process by the test suite).</summary>
public static class Target
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        var data = input[1..];
        switch (input[0] % 4)
        {
            case 0:
                // As the request handler reads it: the length first, then the address once complete.
                var length = Socks5Address.Length(data);
                if (length > 0 && length <= data.Length && Socks5Address.TryRead(data[..length], out var a))
                {
                    // A literal, a valid name (then text), or an invalid one (then only its raw form for the log).
                    _ = a.Literal is { } literal ? literal.ToString().Length : a.HostValid ? a.Host!.Length : a.RawHost.Length;
                }
                break;
            case 1:
                if (HttpHead.Parse(data) is { } head)
                {
                    HttpProxyHandler.TryParseAuthority(head.Part2, 80, out _, out _);
                    _ = head.Get("Host");
                    _ = head.HasToken("Connection", "close");
                    _ = head.Count("Content-Length");
                    _ = head.Serialize($"{head.Part1} / {head.Part3}", "example.test");
                }
                break;
            case 2:
                HttpProxyHandler.TryParseChunkSize(data, out _);
                break;
            default:
                // A UDP datagram from a client: RSV RSV FRAG, then the address.
                if (data.Length >= 4 && data[2] == 0)
                {
                    var n = Socks5Address.Length(data[3..]);
                    if (n > 0 && n <= data.Length - 3) Socks5Address.TryRead(data.Slice(3, n), out _);
                }
                break;
        }
    }
}
