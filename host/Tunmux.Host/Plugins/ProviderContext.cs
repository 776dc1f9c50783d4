using System.Net.Http.Headers;
using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Credentials;
using Tunmux.Host.Connections;
using Tunmux.Host.Logging;
using Tunmux.Host.Net;
using Tunmux.Host.State;
using Tunmux.Host.Storage;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;

namespace Tunmux.Host.Plugins;

/// <summary>The services the host hands one provider.</summary>
internal sealed class ProviderContext : IProviderContext
{
    private readonly Lazy<ICredentialStore> _credentials;
    private readonly Lazy<IPluginLogger> _log;
    private readonly string _cacheDir;

    public ProviderContext(string provider, TunmuxConfig config, TunmuxPaths paths, IConsoleIO console, CancellationToken cancellation,
        IStepReporter? steps = null)
    {
        Steps = steps ?? NoStepReporter.Instance;
        Hole = new ApiFirewallHole(ct => DaemonAccess.ConnectAsync(config.General, ct));
        Http = new HttpClientProvider(new ApiConnector(new ApiAddressBook(paths.ApiAddressesFile), () => FirewallBlocksApi(paths), Hole.AllowAsync));
        Config = config.Section(provider);
        Console = console;
        Cancellation = cancellation;
        _cacheDir = paths.ProviderDir(provider);
        // Built on first use: most verbs never touch the keyring, and opening D-Bus is not free.
        _credentials = new(() => CredentialStoreFactory.Create(config.General.CredentialStore, provider, paths));
        _log = new(() => new PluginLogger(provider));
    }

    public IConfigSection Config { get; }
    public ICredentialStore Credentials => _credentials.Value;
    public IHttpClientProvider Http { get; }

    /// <summary>The daemon's hole for API requests under lockdown; the command disposes it when it ends.</summary>
    public ApiFirewallHole Hole { get; }
    public IPluginLogger Log => _log.Value;
    public ILatencyProbe Latency { get; } = new Tunmux.Host.Latency.LatencyProbe();
    public IConsoleIO Console { get; }
    public CancellationToken Cancellation { get; }
    public IStepReporter Steps { get; }

    public string CacheDirectory
    {
        get
        {
            AtomicFile.EnsurePrivateDirectory(_cacheDir);
            return _cacheDir;
        }
    }

    /// <summary>tunmux's firewall is in place with no direct tunnel of this user's to carry API requests.</summary>
    private static bool FirewallBlocksApi(TunmuxPaths paths) =>
        FirewallView.Read(PrivilegedPaths.FromEnvironment()) is { Active: true }
        && new ConnectionStore(paths).Get(InstanceNames.Direct) is null;

    private sealed class HttpClientProvider(ApiConnector connector) : IHttpClientProvider
    {
        private static readonly ProductInfoHeaderValue UserAgent =
            new("tunmux", typeof(HttpClientProvider).Assembly.GetName().Version?.ToString(3) ?? "0");

        public HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null)
        {
            handler ??= new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
            // A plugin's own SocketsHttpHandler gets the same connect step, unless it brought one of its own.
            if (handler is SocketsHttpHandler { ConnectCallback: null } sockets) sockets.ConnectCallback = connector.ConnectAsync;
            var client = new HttpClient(handler)
            {
                Timeout = timeout ?? TimeSpan.FromSeconds(30),
            };
            client.DefaultRequestHeaders.UserAgent.Add(UserAgent);
            return client;
        }
    }
}
