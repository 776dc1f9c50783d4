using NUnit.Framework;
using Tunmux.Proxy.Fuzz;

namespace Tunmux.Proxy.Tests;

/// <summary>
/// The bounded, in-process run of the proxies' fuzz target (Fuzz/; the long coverage-guided run is
/// build/fuzz.sh): the seed corpus and many random mutations of it, each either accepted or refused.
/// </summary>
public class FuzzTargetTests
{
    private const int Mutations = 200_000;

    [Test]
    public void The_request_parsers_accept_or_refuse_every_input()
    {
        var corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus")).Select(File.ReadAllBytes).ToList();
        Assert.That(corpus, Has.Count.GreaterThanOrEqualTo(7), "the seed corpus is copied next to the tests");
        var random = new Random(1928);
        var interesting = new byte[] { 0, 1, 3, 4, 0xff, (byte)'\r', (byte)'\n', (byte)':', (byte)';', (byte)' ', (byte)'[', (byte)']', 0x7f, 0x80 };
        for (var i = 0; i < Mutations; i++)
        {
            var input = (byte[])corpus[random.Next(corpus.Count)].Clone();
            for (var e = random.Next(1, 6); e > 0 && input.Length > 1; e--)
            {
                var at = random.Next(1, input.Length);
                switch (random.Next(4))
                {
                    case 0: input[at] = (byte)random.Next(256); break;
                    case 1: input[at] = interesting[random.Next(interesting.Length)]; break;
                    case 2: input = [.. input[..at], .. input[Math.Min(input.Length, at + random.Next(1, 16))..]]; break;
                    default: input = [.. input[..at], .. Enumerable.Repeat(interesting[random.Next(interesting.Length)], random.Next(1, 300)), .. input[at..]]; break;
                }
            }
            try
            {
                Target.Run(input);
            }
            catch (Exception ex)
            {
                Assert.Fail($"input {Convert.ToBase64String(input)} threw {ex.GetType().Name}: {ex.Message}");
            }
        }
    }
}
