using System.Text.Json;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests.Support;

/// <summary>The connections of a <c>tunmux status --json</c> run, whoever ran it (root's session or a created user's).</summary>
internal static class StatusJson
{
    public static IReadOnlyList<JsonElement> Connections(LabResult r)
    {
        if (!r.Ok) throw new InvalidOperationException("tunmux status --json: " + r);
        using var doc = JsonDocument.Parse(r.Output);
        return [.. doc.RootElement.GetProperty("connections").EnumerateArray().Select(e => e.Clone())];
    }
}
