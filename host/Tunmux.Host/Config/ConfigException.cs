namespace Tunmux.Host.Config;

/// <summary>A config file the user must fix; the message names file, line, key and allowed values.</summary>
public sealed class ConfigException(string message) : Exception(message);
