using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// What an exit needs to heal itself and run its hooks, kept by the daemon alone: the ranked profiles with
/// their private keys (the first is the one brought up), the proxy's settings with its password (to start it
/// again), the hooks and the identity that connected the exit. Written with the exit's record, deleted with it,
/// read again by the next daemon; a 0600 file in a 0700 folder, never anywhere a user can read.
/// </summary>
internal sealed class ExitPlan
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    [JsonPropertyName("caller")] public required CallerIdentity Caller { get; init; }
    [JsonPropertyName("profiles")] public required IReadOnlyList<AlternativeDto> Profiles { get; init; }
    [JsonPropertyName("supervision")] public SupervisionArgs? Supervision { get; init; }
    [JsonPropertyName("hooks")] public HookArgs? Hooks { get; init; }
    [JsonPropertyName("proxy")] public ProxyArgs? Proxy { get; init; }

    public static ExitPlan From(TunnelUpArgs args, CallerIdentity caller) => new()
    {
        Instance = args.Instance,
        Caller = caller,
        Profiles = [new AlternativeDto { Server = args.Server ?? new ServerDto { Name = args.Instance }, Profile = args.Profile }, .. args.Alternatives],
        Supervision = args.Supervision,
        Hooks = args.Hooks,
        Proxy = args.Proxy,
    };
}

/// <summary>Plans under <see cref="PrivilegedPaths.SupervisionDir"/>.</summary>
internal sealed class ExitPlanStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new(ProtocolJson.Options) { WriteIndented = false };

    public string PathOf(string instance) => Path.Combine(directory, instance + ".json");

    public void Save(ExitPlan plan)
    {
        SecureFiles.PrivateDirectory(directory);
        SecureFiles.WriteAtomically(PathOf(plan.Instance), stream => JsonSerializer.Serialize(stream, plan, Json));
    }

    public ExitPlan? Load(string instance)
    {
        var path = PathOf(instance);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ExitPlan>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Delete(string instance)
    {
        if (!Directory.Exists(directory)) return;
        File.Delete(PathOf(instance));
        File.Delete(PathOf(instance) + ".tmp");
    }
}
