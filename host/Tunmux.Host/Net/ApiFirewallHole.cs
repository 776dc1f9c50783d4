using Tunmux.Host.Privileged;

namespace Tunmux.Host.Net;

/// <summary>
/// The daemon's hole for this command's provider API connections while the firewall blocks: one client connection
/// to the daemon, opened on first need and held until the command ends (the daemon closes the hole with it). Each
/// request names every endpoint so far, since the daemon keeps one set per client connection.
/// </summary>
internal sealed class ApiFirewallHole(Func<CancellationToken, Task<IPrivilegedClient>> open) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SortedSet<string> _endpoints = new(StringComparer.Ordinal);
    private IPrivilegedClient? _client;

    public async Task AllowAsync(IReadOnlyList<string> endpoints, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_client is not null && endpoints.All(_endpoints.Contains)) return;
            _endpoints.UnionWith(endpoints);
            _client ??= await open(ct).ConfigureAwait(false);
            await _client.AllowApiAsync([.. _endpoints], ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync().ConfigureAwait(false);
        _client = null;
    }
}
