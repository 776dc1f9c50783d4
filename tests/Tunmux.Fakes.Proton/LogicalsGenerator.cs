using System.Globalization;
using System.Text.Json;

namespace Tunmux.Fakes.Proton;

/// <summary>Writes a <c>/vpn/v1/logicals</c> answer of realistic shape and size (benchmarks, tests).</summary>
public static class LogicalsGenerator
{
    private static readonly (string Code, string City, int Weight)[] Countries =
    [
        ("US", "New York", 16), ("NL", "Amsterdam", 6), ("DE", "Frankfurt", 6), ("CH", "Zurich", 5), ("GB", "London", 5),
        ("FR", "Paris", 4), ("CA", "Toronto", 4), ("JP", "Tokyo", 3), ("SE", "Stockholm", 3), ("ES", "Madrid", 3),
        ("IT", "Milan", 3), ("AU", "Sydney", 3), ("SG", "Singapore", 2), ("BR", "Sao Paulo", 2), ("IS", "Reykjavik", 1),
        ("NO", "Oslo", 2), ("DK", "Copenhagen", 2), ("BE", "Brussels", 2), ("AT", "Vienna", 2), ("PL", "Warsaw", 2),
        ("CZ", "Prague", 2), ("RO", "Bucharest", 1), ("IE", "Dublin", 1), ("PT", "Lisbon", 1), ("FI", "Helsinki", 1),
        ("HK", "Hong Kong", 1), ("KR", "Seoul", 1), ("IN", "Mumbai", 1), ("ZA", "Johannesburg", 1), ("MX", "Mexico City", 1),
    ];

    private static readonly string[] UsCities = ["New York", "Los Angeles", "Chicago", "Miami", "Seattle", "Dallas", "Atlanta", "Denver"];

    public static byte[] Generate(int count, int seed = 1)
    {
        var random = new Random(seed);
        var totalWeight = Countries.Sum(c => c.Weight);
        var numbers = new Dictionary<string, int>();
        using var stream = new MemoryStream(count * 900);
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("Code", 1000);
            w.WriteStartArray("LogicalServers");
            for (var i = 0; i < count; i++)
            {
                var pick = random.Next(totalWeight);
                var country = Countries[0];
                foreach (var c in Countries)
                {
                    if (pick < c.Weight) { country = c; break; }
                    pick -= c.Weight;
                }
                var secureCore = random.Next(20) == 0;
                var entry = secureCore ? (random.Next(3) switch { 0 => "CH", 1 => "IS", _ => "SE" }) : country.Code;
                var prefix = secureCore ? $"{entry}-{country.Code}" : country.Code;
                numbers[prefix] = numbers.GetValueOrDefault(prefix) + 1;
                var name = $"{prefix}#{numbers[prefix]}";
                var tier = random.Next(10) == 0 ? 0 : 2;
                var features = (secureCore ? 1 : 0) | (random.Next(15) == 0 ? 2 : 0) | (random.Next(3) == 0 ? 4 : 0) | (random.Next(2) == 0 ? 8 : 0) | 16;
                var city = country.Code == "US" ? UsCities[random.Next(UsCities.Length)] : country.City;
                var id = Convert.ToBase64String(BitConverter.GetBytes(random.NextInt64())) + "==";

                w.WriteStartObject();
                w.WriteString("Name", name);
                w.WriteString("EntryCountry", entry);
                w.WriteString("ExitCountry", country.Code);
                w.WriteString("Domain", $"node-{country.Code.ToLowerInvariant()}-{numbers[prefix]:00}.protonvpn.net");
                w.WriteNumber("Tier", tier);
                w.WriteNumber("Features", features);
                w.WriteString("Region", (string?)null);
                w.WriteString("City", city);
                w.WriteNumber("Score", Math.Round(random.NextDouble() * 5 + 1, 6));
                w.WriteString("HostCountry", (string?)null);
                w.WriteString("ID", id);
                w.WriteStartObject("Location");
                w.WriteNumber("Lat", Math.Round(random.NextDouble() * 120 - 60, 4));
                w.WriteNumber("Long", Math.Round(random.NextDouble() * 360 - 180, 4));
                w.WriteEndObject();
                w.WriteNumber("Status", random.Next(40) == 0 ? 0 : 1);
                w.WriteStartArray("Servers");
                var physicals = 1 + random.Next(2);
                for (var p = 0; p < physicals; p++)
                {
                    w.WriteStartObject();
                    w.WriteString("EntryIP", $"198.18.{random.Next(256)}.{1 + random.Next(254)}");
                    w.WriteString("ExitIP", $"198.19.{random.Next(256)}.{1 + random.Next(254)}");
                    w.WriteString("Domain", $"node-{country.Code.ToLowerInvariant()}-{numbers[prefix]:00}.protonvpn.net");
                    w.WriteString("ID", id + p.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("Label", p.ToString(CultureInfo.InvariantCulture));
                    w.WriteNumber("Generation", 0);
                    w.WriteNumber("Status", 1);
                    w.WriteString("ServicesDownReason", (string?)null);
                    var key = new byte[32];
                    random.NextBytes(key);
                    w.WriteString("X25519PublicKey", Convert.ToBase64String(key));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteNumber("Load", random.Next(101));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }
}
