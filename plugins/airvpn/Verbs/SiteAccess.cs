using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>Opens the account's web session for one verb and runs it there.</summary>
internal static class SiteAccess
{
    public static async Task<int> RunAsync(AirAccount account, IProviderContext context, Func<AirSite, CancellationToken, Task> work, CancellationToken ct)
    {
        var session = await account.Store.RequireAsync(ct);
        using var web = await AirWeb.OpenAsync(account.Settings, context, session, ct);
        var site = new AirSite(web);
        await web.RunAsync(async c => { await work(site, c); return 0; }, ct);
        return 0;
    }
}
