using SharpFuzz;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Daemon.Fuzz;

/// <summary>
/// Fuzz target: one input is one frame's payload. <see cref="RequestParser.Parse"/> must either accept it or
/// refuse it with <see cref="RequestException"/>; any other exception is a finding.
/// With arguments, runs those files once each (to replay a finding without the fuzzer).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0)
        {
            foreach (var file in args) Target(File.ReadAllBytes(file));
            return;
        }
        Fuzzer.LibFuzzer.Run(span => Target(span.ToArray()));
    }

    private static void Target(byte[] input)
    {
        try
        {
            RequestParser.Parse(input);
        }
        catch (RequestException)
        {
        }
    }
}
