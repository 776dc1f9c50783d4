using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Tunmux.Plugins.Proton.Api;

/// <summary>
/// How Proton's API is retried when it is busy, after ProtonMail/go-proton-api
/// (manager_builder.go: three retries, on 429/503 <c>catchTooManyRequests</c> and a failed
/// refresh <c>retryRefreshFailed</c>; response.go <c>catchRetryAfter</c>: the server's
/// <c>Retry-After</c> in seconds, 10 s when absent). tunmux bounds the whole of it so that a
/// command never hangs: at most <see cref="MaxTries"/> tries and <see cref="MaxWaiting"/> spent
/// in all, and a request that timed out is sent once more.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>Tries of one call, the first included.</summary>
    public int MaxTries { get; init; } = 3;

    /// <summary>Time one call may spend on answers and waits before it gives up.</summary>
    public TimeSpan MaxWaiting { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Wait when the answer names none. go-proton-api waits 10 s; half of it keeps two waits and
    /// two slow answers within <see cref="MaxWaiting"/>.
    /// </summary>
    public TimeSpan DefaultWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How waiting is done; tests replace it to record the waits instead of sleeping.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = static (wait, ct) => Task.Delay(wait, ct);

    /// <summary>Statuses that mean "busy, come back later" for every call.</summary>
    public static bool IsBusy(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    /// <summary>The wait an answer asks for (<c>Retry-After</c> as seconds or as a date), or null.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header is null) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date) return date <= now ? TimeSpan.Zero : date - now;
        return null;
    }

    /// <summary>Parses a raw <c>Retry-After</c> value (seconds), for answers read without the typed header.</summary>
    public static TimeSpan? RetryAfter(string? raw) =>
        int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
}
