namespace Tunmux.Contracts;

/// <summary>
/// What a provider adds to the command line, as CommandLineParser option classes. Each standard verb
/// defaults to its contracts class; name a derived class to add flags (it must derive from the default).
/// <see cref="Verbs"/> are the provider's own <c>[Verb]</c> classes, groups (<see cref="SubverbsAttribute"/>)
/// included.
/// </summary>
public sealed record ProviderCommands
{
    /// <summary>Options class of <c>login</c>; derives from <see cref="LoginOptions"/>.</summary>
    public Type Login { get; init; } = typeof(LoginOptions);

    /// <summary>Options class of <c>logout</c>; derives from <see cref="LogoutOptions"/>.</summary>
    public Type Logout { get; init; } = typeof(LogoutOptions);

    /// <summary>Options class of <c>info</c>; derives from <see cref="InfoOptions"/>.</summary>
    public Type Info { get; init; } = typeof(InfoOptions);

    /// <summary>Options class of <c>servers</c>; derives from <see cref="ServersOptions"/>.</summary>
    public Type Servers { get; init; } = typeof(ServersOptions);

    /// <summary>Options class of <c>connect</c>; derives from <see cref="ConnectOptions"/>.</summary>
    public Type Connect { get; init; } = typeof(ConnectOptions);

    /// <summary>The provider's own verbs and verb groups (AirVPN: <c>ports</c>, <c>devices</c>, <c>generate</c>).</summary>
    public IReadOnlyList<Type> Verbs { get; init; } = [];

    /// <summary>Keys the provider reads from its config section; others draw a warning.</summary>
    public IReadOnlyList<string> ConfigKeys { get; init; } = [];

    /// <summary>
    /// Standard verbs this provider does not support (<c>login</c> for a provider without accounts);
    /// they are hidden from help and refused.
    /// </summary>
    public IReadOnlyList<string> UnsupportedStandardVerbs { get; init; } = [];
}
