namespace Tunmux.Contracts;

/// <summary>What a provider adds to the command line.</summary>
public sealed record ProviderSpec
{
    /// <summary>Extra flags of <c>login</c> (Proton: <c>--totp</c>).</summary>
    public IReadOnlyList<OptionSpec> LoginOptions { get; init; } = [];

    /// <summary>Extra flags of <c>servers</c> (Proton: <c>--free</c>, <c>--p2p</c>).</summary>
    public IReadOnlyList<OptionSpec> ServerOptions { get; init; } = [];

    /// <summary>Extra flags of <c>connect</c> (Proton: <c>--p2p</c>; AirVPN: <c>--key</c>).</summary>
    public IReadOnlyList<OptionSpec> ConnectOptions { get; init; } = [];

    /// <summary>Extra flags of <c>info</c>.</summary>
    public IReadOnlyList<OptionSpec> InfoOptions { get; init; } = [];

    /// <summary>The provider's own verbs (AirVPN: <c>ports</c>, <c>devices</c>, <c>generate</c>), nested as needed.</summary>
    public IReadOnlyList<VerbSpec> Verbs { get; init; } = [];

    /// <summary>Keys the provider reads from its config section; others draw a warning.</summary>
    public IReadOnlyList<string> ConfigKeys { get; init; } = [];

    /// <summary>
    /// The verbs of the standard set this provider does not support (for example <c>login</c>
    /// for a provider without accounts); they are hidden from help and refused.
    /// </summary>
    public IReadOnlyList<string> UnsupportedStandardVerbs { get; init; } = [];
}

/// <summary>A flag.</summary>
/// <param name="Name">Long name without dashes (<c>p2p</c> for <c>--p2p</c>).</param>
/// <param name="Help">One line of help.</param>
public sealed record OptionSpec(string Name, string Help)
{
    /// <summary>Optional one-letter alias (<c>s</c> for <c>-s</c>).</summary>
    public char? Short { get; init; }

    /// <summary>Name of the value in help (<c>PORT</c>); null means a switch without value.</summary>
    public string? ValueName { get; init; }

    /// <summary>True when the flag may be given several times (<c>-s nl -s be</c>).</summary>
    public bool Repeatable { get; init; }

    /// <summary>Values accepted (checked by the host before the provider runs); empty means any.</summary>
    public IReadOnlyList<string> AllowedValues { get; init; } = [];

    /// <summary>True when the value must be an integer in <see cref="Min"/>..<see cref="Max"/>.</summary>
    public bool IsInteger { get; init; }

    /// <summary>Smallest integer accepted.</summary>
    public long Min { get; init; } = long.MinValue;

    /// <summary>Largest integer accepted.</summary>
    public long Max { get; init; } = long.MaxValue;

    /// <summary>True when the flag must be given.</summary>
    public bool Required { get; init; }

    /// <summary>Creates a switch (<c>--p2p</c>).</summary>
    public static OptionSpec Switch(string name, string help, char? shortName = null) => new(name, help) { Short = shortName };

    /// <summary>Creates a flag with a value (<c>--key NAME</c>).</summary>
    public static OptionSpec Value(string name, string valueName, string help, char? shortName = null) =>
        new(name, help) { ValueName = valueName, Short = shortName };
}

/// <summary>A positional argument.</summary>
/// <param name="Name">Name shown in usage (<c>port</c>).</param>
/// <param name="Help">One line of help.</param>
/// <param name="Required">False when it may be omitted.</param>
public sealed record ArgumentSpec(string Name, string Help, bool Required = true)
{
    /// <summary>True when the value must be an integer in <see cref="Min"/>..<see cref="Max"/>.</summary>
    public bool IsInteger { get; init; }

    /// <summary>Smallest integer accepted.</summary>
    public long Min { get; init; } = long.MinValue;

    /// <summary>Largest integer accepted.</summary>
    public long Max { get; init; } = long.MaxValue;
}

/// <summary>A provider verb; either runs (it has no <see cref="Subverbs"/>) or groups subverbs.</summary>
/// <param name="Name">The word on the command line (<c>ports</c>).</param>
/// <param name="Help">One line of help.</param>
public sealed record VerbSpec(string Name, string Help)
{
    /// <summary>Flags of the verb.</summary>
    public IReadOnlyList<OptionSpec> Options { get; init; } = [];

    /// <summary>Positional arguments, in order.</summary>
    public IReadOnlyList<ArgumentSpec> Arguments { get; init; } = [];

    /// <summary>Nested verbs (<c>ports add</c>).</summary>
    public IReadOnlyList<VerbSpec> Subverbs { get; init; } = [];

    /// <summary>True when the verb prints a listing and accepts <c>--json</c>.</summary>
    public bool SupportsJson { get; init; }
}

/// <summary>Parsed flags and positional arguments of one verb.</summary>
public sealed class ParsedOptions
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _values;

    /// <summary>Creates the set from parsed values; a switch maps to an empty list.</summary>
    public ParsedOptions(IReadOnlyDictionary<string, IReadOnlyList<string>> values, IReadOnlyList<string> positionals)
    {
        _values = values;
        Positionals = positionals;
    }

    /// <summary>An empty set.</summary>
    public static ParsedOptions Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>(), []);

    /// <summary>Positional arguments in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>Names of the flags given.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>True when the flag was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The last value of a flag, or null.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>Every value of a repeatable flag, in order.</summary>
    public IReadOnlyList<string> GetAll(string name) => _values.TryGetValue(name, out var v) ? v : [];

    /// <summary>The value of an integer flag, or null.</summary>
    public long? GetInteger(string name) => Get(name) is { } s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The positional argument at <paramref name="index"/>, or null.</summary>
    public string? Positional(int index) => index < Positionals.Count ? Positionals[index] : null;
}
