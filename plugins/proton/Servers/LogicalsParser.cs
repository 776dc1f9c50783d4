using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Servers;

/// <summary>
/// Reads <c>/vpn/v1/logicals</c> answers with a forward-only <see cref="Utf8JsonReader"/>: only the
/// fields tunmux uses are materialized, everything else is skipped, so 15,000 logicals parse in
/// milliseconds without reflection.
/// </summary>
public static class LogicalsParser
{
    /// <summary>Parses a complete answer (<c>{"Code":1000,"LogicalServers":[...]}</c>).</summary>
    /// <param name="json">The answer.</param>
    /// <param name="exitCountry">
    /// When given, only logicals with this exit country are materialized; the others are only
    /// scanned (still fully validated), which saves most of the allocations of a filtered listing.
    /// </param>
    public static List<LogicalServer> Parse(ReadOnlySpan<byte> json, string? exitCountry = null)
    {
        try
        {
            return ParseCore(json, exitCountry is null ? null : System.Text.Encoding.UTF8.GetBytes(exitCountry.ToUpperInvariant()));
        }
        catch (JsonException ex)
        {
            throw new ProviderException($"the Proton server list cannot be read ({ex.Message}); run `tunmux proton servers --refresh`", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new ProviderException($"the Proton server list has an unexpected shape ({ex.Message}); run `tunmux proton servers --refresh`", ex);
        }
    }

    private static List<LogicalServer> ParseCore(ReadOnlySpan<byte> json, byte[]? exitCountry)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        Expect(ref reader, JsonTokenType.StartObject);
        List<LogicalServer>? result = null;
        int? code = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("LogicalServers"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                result = new List<LogicalServer>(4096);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (exitCountry is not null)
                    {
                        var start = reader;
                        if (!HasExitCountry(ref reader, exitCountry)) continue;
                        reader = start;
                    }
                    result.Add(ReadLogical(ref reader));
                }
            }
            else if (reader.ValueTextEquals("Code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (code is { } c && c != 1000) throw new JsonException($"answer code {c}");
        return result ?? throw new JsonException("no LogicalServers");
    }

    /// <summary>Scans one logical to its end; true when its exit country is <paramref name="country"/> (Proton writes codes upper-case).</summary>
    private static bool HasExitCountry(ref Utf8JsonReader reader, byte[] country)
    {
        var match = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCountry = reader.ValueTextEquals("ExitCountry"u8);
            reader.Read();
            if (isCountry && reader.TokenType == JsonTokenType.String) match = reader.ValueTextEquals(country);
            else reader.Skip();
        }
        return match;
    }

    private static LogicalServer ReadLogical(ref Utf8JsonReader reader)
    {
        var s = new LogicalServer();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Name"u8)) s.Name = ReadString(ref reader) ?? "";
            else if (reader.ValueTextEquals("ExitCountry"u8)) s.ExitCountry = ReadString(ref reader) ?? "";
            else if (reader.ValueTextEquals("EntryCountry"u8)) s.EntryCountry = ReadString(ref reader);
            else if (reader.ValueTextEquals("City"u8)) s.City = ReadString(ref reader);
            else if (reader.ValueTextEquals("ID"u8)) s.Id = ReadString(ref reader);
            else if (reader.ValueTextEquals("Tier"u8)) s.Tier = ReadInt(ref reader);
            else if (reader.ValueTextEquals("Features"u8)) s.Features = (ServerFeatures)ReadInt(ref reader);
            else if (reader.ValueTextEquals("Score"u8)) s.Score = ReadDouble(ref reader);
            else if (reader.ValueTextEquals("Load"u8)) s.Load = ReadInt(ref reader);
            else if (reader.ValueTextEquals("Status"u8)) s.Status = ReadInt(ref reader);
            else if (reader.ValueTextEquals("Servers"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                        s.Servers.Add(ReadPhysical(ref reader));
                }
                else reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return s;
    }

    private static PhysicalServer ReadPhysical(ref Utf8JsonReader reader)
    {
        var p = new PhysicalServer();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("EntryIP"u8)) p.EntryIp = ReadString(ref reader) ?? "";
            else if (reader.ValueTextEquals("ExitIP"u8)) p.ExitIp = ReadString(ref reader);
            else if (reader.ValueTextEquals("X25519PublicKey"u8)) p.X25519PublicKey = ReadString(ref reader);
            else if (reader.ValueTextEquals("Status"u8)) p.Status = ReadInt(ref reader);
            else if (reader.ValueTextEquals("Label"u8)) p.Label = ReadString(ref reader);
            else if (reader.ValueTextEquals("Domain"u8)) p.Domain = ReadString(ref reader);
            else if (reader.ValueTextEquals("ID"u8)) p.Id = ReadString(ref reader);
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return p;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type) throw new JsonException($"expected {type}");
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            JsonTokenType.Number => reader.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => SkipAndNull(ref reader),
        };
    }

    private static string? SkipAndNull(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number) { reader.Skip(); return 0; }
        return reader.TryGetInt32(out var v) ? v : (int)reader.GetDouble();
    }

    private static double ReadDouble(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number) { reader.Skip(); return 0; }
        return reader.GetDouble();
    }
}
