namespace Tunmux.Contracts;

/// <summary>
/// The version of the plugin API. The host loads a plugin only when the plugin was built
/// against the same <see cref="Major"/>; minors add members without breaking older plugins.
/// </summary>
public static class ContractsVersion
{
    /// <summary>Breaking-change counter of the plugin API.</summary>
    public const int Major = 2;

    /// <summary>Additive-change counter of the plugin API.</summary>
    public const int Minor = 2;
}
