using Serilog.Events;
using Tunmux.Contracts;

namespace Tunmux.Host.Logging;

/// <summary>
/// The logger a plugin gets: the host's logger tagged with the provider name. Built on the first
/// message, so a plugin that only registers its secrets costs no logger start-up on the connect path.
/// </summary>
internal sealed class PluginLogger(string provider) : IPluginLogger
{
    private Serilog.ILogger? _log;

    private Serilog.ILogger Log => _log ??= LogSetup.Logger.ForContext("Provider", provider);

    public void Debug(string messageTemplate, params object?[] args)
    {
        if (LogSetup.IsEnabled(LogEventLevel.Debug)) Log.Debug(messageTemplate, args);
    }

    public void Information(string messageTemplate, params object?[] args)
    {
        if (LogSetup.IsEnabled(LogEventLevel.Information)) Log.Information(messageTemplate, args);
    }

    public void Warning(string messageTemplate, params object?[] args) => Log.Warning(messageTemplate, args);
    public void RegisterSecret(string secret) => SecretMask.Register(secret);
}
