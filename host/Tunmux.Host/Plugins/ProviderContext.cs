using System.Net.Http.Headers;
using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Credentials;
using Tunmux.Host.Logging;
using Tunmux.Host.Storage;

namespace Tunmux.Host.Plugins;

/// <summary>The services the host hands one provider.</summary>
internal sealed class ProviderContext : IProviderContext
{
    private readonly Lazy<ICredentialStore> _credentials;
    private readonly Lazy<IPluginLogger> _log;
    private readonly string _cacheDir;

    public ProviderContext(string provider, TunmuxConfig config, TunmuxPaths paths, IConsoleIO console, CancellationToken cancellation)
    {
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
    public IHttpClientProvider Http { get; } = new HttpClientProvider();
    public IPluginLogger Log => _log.Value;
    public ILatencyProbe Latency { get; } = new Tunmux.Host.Latency.LatencyProbe();
    public IConsoleIO Console { get; }
    public CancellationToken Cancellation { get; }

    public string CacheDirectory
    {
        get
        {
            AtomicFile.EnsurePrivateDirectory(_cacheDir);
            return _cacheDir;
        }
    }

    private sealed class HttpClientProvider : IHttpClientProvider
    {
        private static readonly ProductInfoHeaderValue UserAgent =
            new("tunmux", typeof(HttpClientProvider).Assembly.GetName().Version?.ToString(3) ?? "0");

        public HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null)
        {
            var client = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
            {
                Timeout = timeout ?? TimeSpan.FromSeconds(30),
            };
            client.DefaultRequestHeaders.UserAgent.Add(UserAgent);
            return client;
        }
    }
}
