using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;

namespace Tunmux.Host.Config;

/// <summary>
/// Reads config.toml. A missing file means defaults; invalid TOML or a bad value is a
/// <see cref="ConfigException"/> naming file, line, key and the allowed values; unknown keys
/// in <c>[general]</c> are warnings (plugin sections are checked against the keys the plugin declares).
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] GeneralKeys =
    [
        "backend", "credential_store", "proxy_access_log", "privileged_transport", "privileged_autostart",
        "privileged_autostart_timeout_ms", "privileged_authorized_group", "privileged_autostop_mode",
        "privileged_autostop_timeout_ms", "userspace_implementation", "handshake_timeout_ms", "kill_switch", "proxy_share",
        "failover", "health_check_interval_ms", "health_idle_check_interval_ms", "health_traffic_timeout_ms", "health_idle_probe_ms", "health_rehandshake_timeout_ms",
        "health_retry_ms", "port_forward_renew_ms", "ifup", "ifdown", "hook_timeout_ms", "check_url",
        "rootless", "rootless_link",
    ];

    /// <summary>Keys the host reads in every provider's section (over <c>[general]</c>'s), whatever the plugin declares.</summary>
    public static readonly IReadOnlyList<string> ProviderSectionKeys = ["proxy_share", "ifup", "ifdown"];

    public static TunmuxConfig Load(string path)
    {
        // Most commands run without a config.toml. Looked for first, since a thrown and caught FileNotFoundException costs
        // milliseconds of a command's start; only where "not there" is certain: "folder/." resolves only if the folder
        // may be searched, so a file hidden by permissions still reaches the read below and its clear error.
        var folder = Path.GetDirectoryName(path);
        if (folder is { Length: > 0 } && Directory.Exists(Path.Combine(folder, ".")) && !File.Exists(path) && !Directory.Exists(path))
            return new TunmuxConfig { SourceFile = path };
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException) { return new TunmuxConfig { SourceFile = path }; }
        catch (DirectoryNotFoundException) { return new TunmuxConfig { SourceFile = path }; }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the config file (permission denied); fix its permissions");
        }
        return Parse(text, path);
    }

    public static TunmuxConfig Parse(string text, string path)
    {
        TomlTable root;
        try
        {
            root = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (Exception e) when (e is TomlException or InvalidOperationException or FormatException)
        {
            throw new ConfigException($"{path}: invalid TOML: {FirstLine(e.Message)}");
        }

        var lines = new LineIndex(text);
        var warnings = new List<string>();
        var sections = new Dictionary<string, ConfigSection>();
        GeneralConfig general = new();

        foreach (var (name, value) in root)
        {
            if (value is not TomlTable table)
            {
                warnings.Add($"{path}:{lines.Find(null, name)}: key '{name}' outside any section is ignored; put it under [general] or a provider section");
                continue;
            }
            var dict = table.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value));
            if (name == "general")
            {
                general = ReadGeneral(dict, path, lines);
                foreach (var key in dict.Keys.Where(k => !GeneralKeys.Contains(k)))
                    warnings.Add($"{path}:{lines.Find(name, key)}: unknown key general.{key} is ignored");
            }
            var sectionName = name;
            sections[name] = new ConfigSection(name, path, dict, key => lines.Find(sectionName, key));
        }
        return new TunmuxConfig { SourceFile = path, General = general, Sections = sections, Warnings = warnings };
    }

    private static GeneralConfig ReadGeneral(Dictionary<string, object?> d, string path, LineIndex lines)
    {
        var r = new Reader(d, path, lines);
        var defaults = new GeneralConfig();
        return new GeneralConfig
        {
            Backend = r.Choice("backend", GeneralConfig.Backends) ?? defaults.Backend,
            CredentialStore = r.Choice("credential_store", GeneralConfig.CredentialStores) ?? defaults.CredentialStore,
            ProxyAccessLog = r.Bool("proxy_access_log") ?? defaults.ProxyAccessLog,
            ProxyShare = r.Bool("proxy_share") ?? defaults.ProxyShare,
            PrivilegedTransport = r.Choice("privileged_transport", GeneralConfig.Transports) ?? defaults.PrivilegedTransport,
            PrivilegedAutostart = r.Bool("privileged_autostart") ?? defaults.PrivilegedAutostart,
            PrivilegedAutostartTimeoutMs = r.Int("privileged_autostart_timeout_ms", 100, 600_000) ?? defaults.PrivilegedAutostartTimeoutMs,
            PrivilegedAuthorizedGroup = r.Name("privileged_authorized_group") ?? defaults.PrivilegedAuthorizedGroup,
            PrivilegedAutostopMode = r.Choice("privileged_autostop_mode", GeneralConfig.AutostopModes) ?? defaults.PrivilegedAutostopMode,
            PrivilegedAutostopTimeoutMs = r.Int("privileged_autostop_timeout_ms", 1000, 86_400_000) ?? defaults.PrivilegedAutostopTimeoutMs,
            UserspaceImplementation = r.Choice("userspace_implementation", ["wireguard-go", "boringtun"]),
            HandshakeTimeoutMs = r.Int("handshake_timeout_ms", 500, 120_000) ?? defaults.HandshakeTimeoutMs,
            Failover = r.Bool("failover") ?? defaults.Failover,
            HealthCheckIntervalMs = r.Int("health_check_interval_ms", 50, 60_000),
            HealthIdleCheckIntervalMs = r.Int("health_idle_check_interval_ms", 50, 60_000),
            HealthTrafficTimeoutMs = r.Int("health_traffic_timeout_ms", 100, 600_000),
            HealthIdleProbeMs = r.Int("health_idle_probe_ms", 100, 3_600_000),
            HealthRehandshakeTimeoutMs = r.Int("health_rehandshake_timeout_ms", 100, 120_000),
            HealthRetryMs = r.Int("health_retry_ms", 100, 3_600_000),
            PortForwardRenewMs = r.Int("port_forward_renew_ms", 1000, 3_600_000),
            Ifup = r.Command("ifup"),
            Ifdown = r.Command("ifdown"),
            HookTimeoutMs = r.Int("hook_timeout_ms", 100, 3_600_000),
            CheckUrl = r.Url("check_url"),
            KillSwitch = r.Bool("kill_switch") ?? defaults.KillSwitch,
            Rootless = r.Choice("rootless", GeneralConfig.RootlessModes) ?? defaults.Rootless,
            RootlessLink = r.Choice("rootless_link", GeneralConfig.RootlessLinks) ?? defaults.RootlessLink,
        };
    }

    private sealed partial class Reader(Dictionary<string, object?> d, string path, LineIndex lines)
    {
        public string? Choice(string key, string[] allowed)
        {
            if (!d.TryGetValue(key, out var v)) return null;
            if (v is string s && allowed.Contains(s)) return s;
            throw Bad(key, v, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")));
        }

        public bool? Bool(string key) =>
            !d.TryGetValue(key, out var v) ? null : v as bool? ?? throw Bad(key, v, "true or false");

        public int? Int(string key, int min, int max)
        {
            if (!d.TryGetValue(key, out var v)) return null;
            if (v is long n && n >= min && n <= max) return (int)n;
            throw Bad(key, v, $"an integer from {min} to {max}");
        }

        /// <summary>A hook: one line of shell, run as the connecting user.</summary>
        public string? Command(string key)
        {
            if (!d.TryGetValue(key, out var v)) return null;
            if (v is string s && s.Trim().Length > 0 && s.Length <= 4096 && !s.Any(char.IsControl)) return s;
            throw Bad(key, v, "a shell command on one line (at most 4096 characters)");
        }

        public string? Url(string key)
        {
            if (!d.TryGetValue(key, out var v)) return null;
            if (v is string s && Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https") return s;
            throw Bad(key, v, "an http:// or https:// URL");
        }

        public string? Name(string key)
        {
            if (!d.TryGetValue(key, out var v)) return null;
            if (v is string s && GroupName().IsMatch(s)) return s;
            throw Bad(key, v, "a group name (letters, digits, '_', '-', '.')");
        }

        private ConfigException Bad(string key, object? value, string allowed) =>
            new($"{path}:{lines.Find("general", key)}: general.{key} = {Show(value)} is invalid: expected {allowed}");

        [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}$", RegexOptions.IgnoreCase)]
        private static partial Regex GroupName();
    }

    private static string Show(object? v) => v switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        null => "(empty)",
        _ => v.GetType().Name.Replace("Toml", "").ToLowerInvariant(),
    };

    private static object? Normalize(object? v) => v switch
    {
        int i => (long)i,
        TomlArray a => a.Select(Normalize).ToList(),
        _ => v,
    };

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? s;

    /// <summary>Finds the line of a key for messages; TOML values are checked after parsing, so positions come from the text.</summary>
    private sealed partial class LineIndex(string text)
    {
        private readonly string[] _lines = text.Split('\n');

        public int Find(string? section, string key)
        {
            string? current = null;
            for (var i = 0; i < _lines.Length; i++)
            {
                var line = _lines[i].Trim();
                var header = Header().Match(line);
                if (header.Success) { current = header.Groups[1].Value.Trim().Trim('"'); continue; }
                if (current == section && KeyLine().Match(line) is { Success: true } m && m.Groups[1].Value.Trim('"') == key)
                    return i + 1;
            }
            return 0;
        }

        [GeneratedRegex(@"^\[\s*([^\[\]]+?)\s*\]")]
        private static partial Regex Header();

        [GeneratedRegex(@"^(""[^""]+""|[A-Za-z0-9_-]+)\s*=")]
        private static partial Regex KeyLine();
    }
}
