using System.Globalization;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>The account pages of airvpn.org, as typed operations over an <see cref="AirWeb"/> session.</summary>
internal sealed class AirSite(AirWeb web)
{
    private const string Ports = "/ports/";
    private const string Devices = "/devices/";
    private const string ApiSettings = "/apisettings/";
    private const string Sessions = "/sessions/";

    // ---- ports ----

    public async Task<IReadOnlyList<ForwardedPort>> ListPortsAsync(CancellationToken ct)
    {
        var json = await web.AjaxAsync(Ports, "listing forwarded ports", [Kv("action", "manifest")], ct);
        var names = Array(json, "keys").ToDictionary(k => Str(k, "id"), k => Str(k, "name"));
        return Array(json, "ports").Select(p =>
        {
            var device = Str(p, "device");
            device = device is "" or "all" ? "All" : names.GetValueOrDefault(device, device);
            var local = Int(p, "local");
            return new ForwardedPort(Int(p, "port") ?? 0, Int(p, "pool") ?? 0, Str(p, "protocol"), local is > 0 ? local : null,
                Bool(p, "enabled"), device, Str(p, "dns"));
        }).ToList();
    }

    public async Task<int> AddPortAsync(int port, CancellationToken ct)
    {
        var json = await web.AjaxAsync(Ports, $"forwarding port {port}", [Kv("action", "insert"), Kv("port", Num(port)), Kv("pool", "0")], ct);
        return Int(json, "port") ?? port;
    }

    public Task SetProtocolAsync(ForwardedPort p, string protocol, CancellationToken ct) =>
        web.AjaxAsync(Ports, $"setting the protocol of port {p.Port}", PortForm("edit_protocol", p, SiteProtocol(protocol)), ct);

    public Task SetLocalAsync(ForwardedPort p, int local, CancellationToken ct) =>
        web.AjaxAsync(Ports, $"setting the local port of port {p.Port}", PortForm("edit_localport", p, Num(local)), ct);

    public Task SetDdnsAsync(ForwardedPort p, string name, CancellationToken ct) =>
        web.AjaxAsync(Ports, $"setting the DDNS name of port {p.Port}", PortForm("edit_ddns", p, DdnsPrefix(name)), ct);

    public Task RemovePortAsync(ForwardedPort p, CancellationToken ct) =>
        web.AjaxAsync(Ports, $"removing port {p.Port}", [Kv("action", "delete"), Kv("port", Num(p.Port)), Kv("pool", Num(p.Pool))], ct);

    public async Task<IReadOnlyList<PortSession>> PortSessionsAsync(ForwardedPort p, CancellationToken ct)
    {
        var json = await web.AjaxAsync(Ports, $"reading the sessions of port {p.Port}",
            [Kv("action", "sessions"), Kv("port", Num(p.Port)), Kv("pool", Num(p.Pool))], ct);
        return Array(json, "items").Select(s => new PortSession(Int(s, "pool") ?? 0, Str(s, "protocol"), Str(s, "iplayer"), Str(s, "server_name"),
            Str(s, "server_country"), Str(s, "server_location"), Str(s, "server_ip"), Str(s, "client_ip"), Str(s, "device_name"))).ToList();
    }

    public async Task<string> TestPortAsync(ForwardedPort p, PortSession s, CancellationToken ct)
    {
        var json = await web.AjaxAsync(Ports, $"testing port {p.Port}",
            [Kv("action", "test"), Kv("ip", s.ServerIp), Kv("port", Num(p.Port)), Kv("pool", Num(s.Pool)), Kv("protocol", s.Protocol)], ct);
        return HtmlScraper.StripTags(Str(json, "message"));
    }

    /// <summary>The site's protocol values: tcp, udp, tcp_udp.</summary>
    public static string SiteProtocol(string protocol) => protocol.ToLowerInvariant() switch
    {
        "tcp" => "tcp",
        "udp" => "udp",
        "both" or "tcp+udp" or "tcp_udp" => "tcp_udp",
        _ => throw new ProviderException($"airvpn: unknown protocol '{protocol}'; use tcp, udp or both"),
    };

    public static string DdnsPrefix(string name) => name.Trim().TrimEnd('.') is var n && n.EndsWith(".airdns.org", StringComparison.OrdinalIgnoreCase)
        ? n[..^".airdns.org".Length] : name.Trim().TrimEnd('.');

    // ---- devices ----

    public async Task<IReadOnlyList<Device>> ListDevicesAsync(CancellationToken ct)
    {
        var json = await web.AjaxAsync(Devices, "listing devices", [Kv("action", "manifest")], ct);
        return Array(json, "keys").Select(k => new Device(Str(k, "id"), Str(k, "name"), Str(k, "wg_public_key"), Str(k, "wg_ipv4"), Str(k, "wg_ipv6"))).ToList();
    }

    /// <summary>Adds a device; the site names it "New device" and answers nothing useful, so the new one is found by difference.</summary>
    public async Task<Device> AddDeviceAsync(CancellationToken ct)
    {
        var before = (await ListDevicesAsync(ct)).Select(d => d.Id).ToHashSet();
        await web.AjaxAsync(Devices, "adding a device", [Kv("action", "add")], ct);
        var after = await ListDevicesAsync(ct);
        return after.FirstOrDefault(d => !before.Contains(d.Id)) ?? after.LastOrDefault()
            ?? throw new ProviderException("airvpn: airvpn.org did not show the new device; run 'tunmux airvpn devices list'");
    }

    public Task RenameDeviceAsync(Device d, string name, CancellationToken ct) =>
        web.AjaxAsync(Devices, $"renaming device '{d.Name}'", [Kv("action", "edit_name"), Kv("id", d.Id), Kv("value", name)], ct);

    public Task DeleteDeviceAsync(Device d, CancellationToken ct) =>
        web.AjaxAsync(Devices, $"deleting device '{d.Name}'", [Kv("action", "delete"), Kv("id", d.Id)], ct);

    // ---- API keys ----

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken ct)
    {
        var json = await web.AjaxAsync(ApiSettings, "listing API keys", [Kv("action", "manifest")], ct);
        return Array(json, "keys").Select(k => new ApiKey(Str(k, "id"), Str(k, "name"), Str(k, "secret"), Str(k, "secret_short"), Long(k, "creation_date") ?? 0)).ToList();
    }

    public async Task<ApiKey> AddApiKeyAsync(CancellationToken ct)
    {
        var before = (await ListApiKeysAsync(ct)).Select(k => k.Id).ToHashSet();
        await web.AjaxAsync(ApiSettings, "adding an API key", [Kv("action", "add")], ct);
        var after = await ListApiKeysAsync(ct);
        return after.FirstOrDefault(k => !before.Contains(k.Id)) ?? after.LastOrDefault()
            ?? throw new ProviderException("airvpn: airvpn.org did not show the new API key; run 'tunmux airvpn api list'");
    }

    public Task RenameApiKeyAsync(ApiKey k, string name, CancellationToken ct) =>
        web.AjaxAsync(ApiSettings, $"renaming API key '{k.Name}'", [Kv("action", "edit_name"), Kv("id", k.Id), Kv("value", name)], ct);

    public Task DeleteApiKeyAsync(ApiKey k, CancellationToken ct) =>
        web.AjaxAsync(ApiSettings, $"deleting API key '{k.Name}'", [Kv("action", "delete"), Kv("id", k.Id)], ct);

    // ---- sessions ----

    public async Task<IReadOnlyList<VpnSession>> ListSessionsAsync(CancellationToken ct)
    {
        var json = await web.AjaxAsync(Sessions, "listing sessions", [Kv("action", "manifest")], ct);
        return Array(json, "sessions").Select(s =>
        {
            var html = Str(s, "server_html");
            return new VpnSession(Str(s, "device_name"),
                HtmlScraper.TextOfClass(html, "air_card_server_info_name2", link: true) ?? "-",
                HtmlScraper.TextOfClass(html, "air_card_server_info_location", link: false) ?? "-",
                Long(s, "connected_since") ?? 0, Long(s, "bytes_write") ?? 0, Long(s, "bytes_read") ?? 0,
                Long(s, "speed_write") ?? 0, Long(s, "speed_read") ?? 0, Str(s, "software_name"),
                Str(s, "exit_ipv4"), Str(s, "exit_ipv6"), Str(s, "vpn_ipv4"), Str(s, "vpn_ipv6"), Str(s, "entry_layer"));
        }).ToList();
    }

    // ---- JSON readers: the site mixes numbers and strings for the same fields ----

    private static IReadOnlyList<KeyValuePair<string, string>> PortForm(string action, ForwardedPort p, string value) =>
        [Kv("action", action), Kv("port", Num(p.Port)), Kv("pool", Num(p.Pool)), Kv("value", value)];

    private static KeyValuePair<string, string> Kv(string k, string v) => KeyValuePair.Create(k, v);

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    private static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString()!, JsonValueKind.Number => v.GetRawText(), _ => "" }
            : "";

    private static long? Long(JsonElement e, string name) =>
        long.TryParse(Str(e, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static int? Int(JsonElement e, string name) => Long(e, name) is { } n and >= int.MinValue and <= int.MaxValue ? (int)n : null;

    private static bool Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
        && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.Number && v.GetRawText() != "0") || (v.ValueKind == JsonValueKind.String && v.GetString() is "1" or "true"));
}
