using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>An HTTP answer, read whole.</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, string? ContentType, string? ETag, TimeSpan? RetryAfter, byte[] Body)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// One HTTP exchange with a provider's API. What can go wrong below the provider's own error
/// codes (the host is unreachable, it does not answer in time, it rate-limits or fails) becomes
/// one line that says what to do; the provider's client maps its own codes.
/// </summary>
internal sealed class ApiTransport(HttpClient http, Uri baseUri, string provider)
{
    public Uri BaseUri => baseUri;

    public Uri Resolve(string path) => new(baseUri, path.TrimStart('/'));

    public async Task<ApiAnswer> SendAsync(HttpRequestMessage request, string path, CancellationToken ct)
    {
        request.Headers.Accept.ParseAdd("application/json");
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var retryAfter = response.Headers.RetryAfter is { } r
                ? r.Delta ?? (r.Date is { } date ? date - DateTimeOffset.UtcNow : null)
                : null;
            return new ApiAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                response.Headers.ETag?.ToString(), retryAfter, body);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProviderException($"the {provider} API at {baseUri} did not answer within {http.Timeout.TotalSeconds:0} s ({path}); check the network or try again later");
        }
        catch (HttpRequestException ex)
        {
            throw new ProviderException($"cannot reach the {provider} API at {baseUri} ({ex.Message}); check the network or api_url", ex);
        }
    }

    /// <summary>The line for a failure the provider's own codes did not explain (rate limit, server failure, other status).</summary>
    public ProviderException StatusFailure(ApiAnswer answer, string path, string? detail = null)
    {
        var status = (int)answer.Status;
        if (answer.Status == HttpStatusCode.TooManyRequests)
        {
            var wait = answer.RetryAfter is { TotalSeconds: > 0 } after ? $"wait {Math.Ceiling(after.TotalSeconds):0} s" : "wait a few minutes";
            return new ProviderException($"the {provider} API is rate-limiting this client (HTTP 429 on {path}); {wait} and try again");
        }
        if (status >= 500)
            return new ProviderException($"the {provider} API failed on {path} (HTTP {status}); try again later");
        return new ProviderException($"the {provider} API refused {path} (HTTP {status}{(string.IsNullOrWhiteSpace(detail) ? "" : ": " + OneLine(detail))})");
    }

    /// <summary>Parses an answer, or says in one line that it is not what the provider sends.</summary>
    public T Read<T>(byte[] body, JsonTypeInfo<T> type, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw Malformed(path);
        }
    }

    public ProviderException Malformed(string path, string? what = null) =>
        new($"the {provider} API sent an answer tunmux cannot read on {path}{(what is null ? "" : $" ({what})")}; try again later, or check api_url");

    /// <summary>A JSON request body from a source-generated type.</summary>
    public static ByteArrayContent JsonContent<T>(T body, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, type));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Text from a server, cut to one short line (it is shown to the user).</summary>
    public static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim().TrimEnd('.');
        return line.Length > 160 ? line[..160] + "…" : line;
    }
}
