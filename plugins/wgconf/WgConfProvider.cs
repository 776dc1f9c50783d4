using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.WgConf.Config;
using Tunmux.Plugins.WgConf.Profiles;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.WgConf.WgConfProvider))]

namespace Tunmux.Plugins.WgConf;

/// <summary>
/// Connects from any WireGuard config file, or from profiles saved from such files. There is no account:
/// <c>login</c>, <c>logout</c> and <c>info</c> are not offered; <c>list</c> shows the saved profiles.
/// Profiles hold private keys, so they live in the credential store the user chose.
/// </summary>
public sealed class WgConfProvider : IVpnProvider
{
    private IProviderContext _context = null!;
    private ProfileStore _profiles = null!;

    public string Name => "wgconf";
    public string DisplayName => "WireGuard config files";

    public void Initialize(IProviderContext context)
    {
        _context = context;
        _profiles = new ProfileStore(context.Credentials);
    }

    public ProviderCommands Describe() => new()
    {
        Connect = typeof(WgConfConnectOptions),
        Verbs = [typeof(SaveOptions), typeof(ListOptions), typeof(RemoveOptions)],
        UnsupportedStandardVerbs = ["login", "logout", "info"],
    };

    public Task LoginAsync(LoginRequest request, CancellationToken cancellationToken) => throw NoAccount("login");

    public Task LogoutAsync(CancellationToken cancellationToken) => throw NoAccount("logout");

    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) => throw NoAccount("info");

    public async Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken)
    {
        // Profiles carry no country, so a country filter matches none of them.
        if (query.Country is not null) return [];
        return (await _profiles.ListAsync(cancellationToken)).Select(p => new ServerInfo
        {
            Name = p.Name,
            Extra = [new("Endpoint", p.Endpoint), new("Addresses", string.Join(", ", p.Addresses))],
        }).ToList();
    }

    public async Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options as WgConfConnectOptions;
        var file = options?.File;
        var profileName = options?.Profile;
        var saveAs = options?.SaveAs;
        if (profileName is not null && request.ServerName is not null && profileName != request.ServerName)
            throw new ProviderException($"wgconf: both --profile {profileName} and the server name {request.ServerName} given; give one");
        profileName ??= request.ServerName;

        if (file is not null && profileName is not null)
            throw new ProviderException("wgconf: give either --file F or a saved profile (--profile N), not both");
        if (saveAs is not null && file is null)
            throw new ProviderException("wgconf: --save-as needs --file F (the config to save)");

        if (file is not null)
        {
            if (saveAs is not null) ProfileStore.ValidateName(saveAs);
            var profile = ReadConfig(file);
            if (saveAs is not null)
            {
                await _profiles.SaveAsync(saveAs, profile, cancellationToken);
                _context.Log.Information("Saved profile {Profile}", saveAs);
            }
            return new ConnectPlan(profile, new ServerIdentity(saveAs ?? Path.GetFileNameWithoutExtension(file)));
        }

        if (profileName is null)
            throw new ProviderException("wgconf: nothing to connect to; give a config with --file F or a saved profile with --profile N (see 'tunmux wgconf list')");
        var saved = await _profiles.LoadAsync(profileName, cancellationToken);
        RegisterSecrets(saved);
        return new ConnectPlan(saved, new ServerIdentity(profileName));
    }

    public async Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        switch (invocation.Options)
        {
            case SaveOptions save:
            {
                ProfileStore.ValidateName(save.Name);
                var entry = await _profiles.SaveAsync(save.Name, ReadConfig(save.File), cancellationToken);
                _context.Console.Out.WriteLine($"saved profile {entry.Name} (endpoint {entry.Endpoint}) in {_context.Credentials.Description}");
                return 0;
            }
            case ListOptions list:
            {
                var profiles = await _profiles.ListAsync(cancellationToken);
                if (list.Json)
                {
                    _context.Console.WriteJson(profiles);
                }
                else if (profiles.Count == 0)
                {
                    _context.Console.Out.WriteLine("no saved profiles; save one with 'tunmux wgconf save --file F --name N'");
                }
                else
                {
                    _context.Console.WriteTable(["NAME", "ENDPOINT", "ADDRESSES", "SAVED"],
                        profiles.Select(p => (IReadOnlyList<string>)[p.Name, p.Endpoint, string.Join(", ", p.Addresses),
                            p.SavedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)]));
                }
                return 0;
            }
            case RemoveOptions remove:
            {
                if (!await _profiles.RemoveAsync(remove.Name, cancellationToken))
                    throw new ProviderException($"wgconf: no saved profile named '{remove.Name}'; see 'tunmux wgconf list'");
                _context.Console.Out.WriteLine($"removed profile {remove.Name}");
                return 0;
            }
            default:
                throw new ProviderException($"wgconf: unknown verb '{string.Join(' ', invocation.Path)}'; the verbs are save, list and remove");
        }
    }

    /// <summary>Parses a config file completely before anything is saved or connected; reports ignored keys.</summary>
    private WireGuardProfile ReadConfig(string file)
    {
        var parsed = WireGuardConfigParser.ParseFile(file);
        RegisterSecrets(parsed.Profile);
        foreach (var warning in parsed.Warnings) _context.Log.Warning("{Warning}", warning);
        return parsed.Profile;
    }

    private void RegisterSecrets(WireGuardProfile profile)
    {
        _context.Log.RegisterSecret(profile.PrivateKey);
        foreach (var peer in profile.Peers)
            if (peer.PresharedKey is { } psk) _context.Log.RegisterSecret(psk);
    }

    private static ProviderException NoAccount(string verb) =>
        new($"wgconf: '{verb}' does not apply, config files have no account; use 'tunmux wgconf list' to see saved profiles");
}
