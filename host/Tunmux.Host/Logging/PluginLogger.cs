using Tunmux.Contracts;

namespace Tunmux.Host.Logging;

/// <summary>The logger a plugin gets: the host's logger tagged with the provider name.</summary>
internal sealed class PluginLogger(string provider) : IPluginLogger
{
    private readonly Serilog.ILogger _log = LogSetup.Logger.ForContext("Provider", provider);

    public void Debug(string messageTemplate, params object?[] args) => _log.Debug(messageTemplate, args);
    public void Information(string messageTemplate, params object?[] args) => _log.Information(messageTemplate, args);
    public void Warning(string messageTemplate, params object?[] args) => _log.Warning(messageTemplate, args);
    public void RegisterSecret(string secret) => SecretMask.Register(secret);
}
