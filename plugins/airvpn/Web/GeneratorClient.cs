using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>AirVPN's config generator on the key-authenticated REST API (<c>/api/generator/</c>).</summary>
internal sealed class GeneratorClient(Settings settings, IProviderContext context, string apiKey)
{
    /// <summary>Files one generator answer may hold (an OpenVPN-over-SSH or -SSL mode comes as a small package).</summary>
    private const int MaxFiles = 16;

    /// <summary>Largest answer read: configs are a few KiB.</summary>
    private const int MaxBytes = 4 << 20;

    /// <summary>Thrown when the API key is not (or no longer) accepted.</summary>
    public sealed class KeyRejectedException : Exception;

    /// <summary>
    /// The configuration files for one server and protocol: one text file, or the files of the package
    /// the generator sends as a zip archive for modes that need more than one.
    /// </summary>
    public async Task<IReadOnlyList<GeneratedFile>> GenerateAsync(GeneratorRequest request, CancellationToken ct)
    {
        using var http = context.Http.Create(TimeSpan.FromSeconds(30));
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.RestBase, "generator/"))
        {
            // The generator's fields as the original tool and AirVPN's web generator send them.
            Content = new FormUrlEncodedContent(
            [
                KeyValuePair.Create("protocols", request.Protocol),
                KeyValuePair.Create("servers", request.Server),
                KeyValuePair.Create("download", "auto"),
                KeyValuePair.Create("system", "linux"),
                KeyValuePair.Create("iplayer_entry", request.Options.Entry),
                KeyValuePair.Create("iplayer_exit", request.Options.Exit),
                KeyValuePair.Create("wireguard_mtu", request.Options.Mtu.ToString(CultureInfo.InvariantCulture)),
                KeyValuePair.Create("wireguard_persistent_keepalive", request.Options.Keepalive.ToString(CultureInfo.InvariantCulture)),
                KeyValuePair.Create("device", request.Device),
            ]),
        };
        message.Headers.Add("api-key", apiKey);
        message.Headers.Add("x-requested-with", "XMLHttpRequest");

        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) throw new KeyRejectedException();
        var body = await ReadBoundedAsync(response.Content, ct);
        if (IsZip(body)) return Unpack(body, request);

        var text = Encoding.UTF8.GetString(body);
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.TryGetProperty("error", out var e) && e.GetString() is { Length: > 0 } err)
                {
                    if (err.Contains("key", StringComparison.OrdinalIgnoreCase) && err.Contains("api", StringComparison.OrdinalIgnoreCase))
                        throw new KeyRejectedException();
                    throw new ProviderException($"airvpn: the config generator refused {request.Server} {request.Protocol}: {err.TrimEnd('.')}");
                }
                if (root.TryGetProperty("result", out var r) && r.GetString() is { } result && result != "ok")
                    throw new ProviderException($"airvpn: the config generator refused {request.Server} {request.Protocol}: {result}");
            }
            catch (JsonException) { }
        }
        if (!response.IsSuccessStatusCode)
            throw new ProviderException($"airvpn: the config generator answered HTTP {(int)response.StatusCode} for {request.Server}; retry later");
        return [new GeneratedFile(request.FileName, Encoding.UTF8.GetBytes(text))];
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw new ProviderException("airvpn: the config generator sent more than 4 MiB; retry later");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static bool IsZip(byte[] body) => body.Length > 4 && body[0] == (byte)'P' && body[1] == (byte)'K' && body[2] == 3 && body[3] == 4;

    /// <summary>The files of a package, named after the request; entry names never become paths.</summary>
    private static List<GeneratedFile> Unpack(byte[] body, GeneratorRequest request)
    {
        var files = new List<GeneratedFile>();
        try
        {
            using var zip = new ZipArchive(new MemoryStream(body), ZipArchiveMode.Read);
            foreach (var entry in zip.Entries.Where(e => e.Name.Length > 0))
            {
                if (files.Count == MaxFiles || entry.Length > MaxBytes)
                    throw new ProviderException($"airvpn: the config generator sent an oversized package for {request.Server}; retry later");
                using var stream = entry.Open();
                files.Add(new GeneratedFile(SafeName(request, entry.Name), ReadBounded(stream, request)));
            }
        }
        catch (InvalidDataException e)
        {
            throw new ProviderException($"airvpn: the config generator sent a damaged package for {request.Server}; retry later", e);
        }
        return files;
    }

    /// <summary>An entry's bytes, never more than <see cref="MaxBytes"/> whatever its header claims.</summary>
    private static byte[] ReadBounded(Stream stream, GeneratorRequest request)
    {
        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (copy.Length + read > MaxBytes)
                throw new ProviderException($"airvpn: the config generator sent an oversized package for {request.Server}; retry later");
            copy.Write(chunk, 0, read);
        }
        return copy.ToArray();
    }

    /// <summary>The request's base name with the entry's extension; only plain characters survive.</summary>
    private static string SafeName(GeneratorRequest request, string entryName)
    {
        var extension = Path.GetExtension(entryName);
        extension = extension.Length is > 1 and <= 8 && extension[1..].All(char.IsAsciiLetterOrDigit) ? extension.ToLowerInvariant() : ".txt";
        return Path.GetFileNameWithoutExtension(request.FileName) + extension;
    }
}

/// <summary>What every generated file shares: entry and exit IP layers, WireGuard MTU and keepalive.</summary>
/// <param name="Entry">ipv4 or ipv6: the address family of the server's entry address.</param>
/// <param name="Exit">ipv4, ipv6 or both: what the tunnel carries.</param>
/// <param name="Mtu">WireGuard MTU.</param>
/// <param name="Keepalive">WireGuard persistent keepalive in seconds (0: none).</param>
internal sealed record GeneratorOptions(string Entry, string Exit, int Mtu, int Keepalive);

/// <summary>One request to the generator.</summary>
/// <param name="Server">A server name or country code.</param>
/// <param name="Protocol">Generator protocol value (<c>wireguard_3_udp_1637</c>, <c>openvpn_1_udp_443</c>).</param>
/// <param name="Device">Device (key) name.</param>
/// <param name="FileName">Name of the file when the answer is one file.</param>
/// <param name="Options">The shared options.</param>
internal sealed record GeneratorRequest(string Server, string Protocol, string Device, string FileName, GeneratorOptions Options);

/// <summary>One generated file; it holds the device's private key.</summary>
internal sealed record GeneratedFile(string Name, byte[] Content);
