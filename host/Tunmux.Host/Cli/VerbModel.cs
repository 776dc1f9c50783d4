using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Host.Cli;

/// <summary>
/// What the host needs to know of one <c>[Verb]</c> class besides what CommandLineParser does with it: its
/// words (name and aliases), whether it is a group, and its flags and arguments with their ranges and
/// allowed values. Read from the same attributes CommandLineParser reads, once per class and process.
/// </summary>
internal sealed class VerbModel
{
    private static readonly ConcurrentDictionary<Type, VerbModel> Cache = new();

    private VerbModel(Type type)
    {
        Type = type;
        var verb = type.GetCustomAttribute<VerbAttribute>(inherit: true)
            ?? throw new InvalidOperationException($"{type.FullName} has no [Verb] attribute");
        Name = verb.Name;
        Aliases = verb.Aliases?.ToArray() ?? [];
        Help = verb.HelpText ?? "";
        Hidden = verb.Hidden;
        Subverbs = type.GetCustomAttribute<SubverbsAttribute>(inherit: false)?.Verbs ?? [];
        var options = new List<OptionModel>();
        var values = new List<ValueModel>();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var range = p.GetCustomAttribute<RangeAttribute>();
            var allowed = p.GetCustomAttribute<AllowedValuesAttribute>()?.Values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
            if (p.GetCustomAttribute<OptionAttribute>() is { } o)
            {
                var kind = Kind(p.PropertyType);
                if (kind == ValueKind.Enum) allowed ??= EnumWords(p.PropertyType);
                options.Add(new OptionModel(p, o.ShortName is { Length: 1 } s ? s[0] : null, o.LongName, o.MetaValue, o.Required, kind, range, allowed,
                    o.Separator == '\0' ? null : o.Separator, o.HelpText ?? "", o.Default));
            }
            else if (p.GetCustomAttribute<ValueAttribute>() is { } v)
            {
                values.Add(new ValueModel(p, v.Index, string.IsNullOrEmpty(v.MetaName) ? p.Name.ToLowerInvariant() : v.MetaName, v.Required, range, allowed,
                    v.HelpText ?? ""));
            }
        }
        Options = options;
        Values = values.OrderBy(v => v.Index).ToList();
    }

    public static VerbModel Of(Type type) => Cache.GetOrAdd(type, t => new VerbModel(t));

    public Type Type { get; }
    public string Name { get; }
    public IReadOnlyList<string> Aliases { get; }
    public string Help { get; }
    public bool Hidden { get; }
    public IReadOnlyList<Type> Subverbs { get; }
    public bool IsGroup => Subverbs.Count > 0;
    public IReadOnlyList<OptionModel> Options { get; }
    public IReadOnlyList<ValueModel> Values { get; }

    /// <summary>The subverb marked <c>[Verb(isDefault: true)]</c> among <paramref name="level"/>, or null.</summary>
    public static VerbModel? FindDefault(IEnumerable<Type> level) =>
        level.FirstOrDefault(t => VerbOf(t) is { IsDefault: true }) is { } type ? Of(type) : null;

    /// <summary>The class's <c>[Verb]</c> attribute, read without building the model (no flags reflected over).</summary>
    public static VerbAttribute? VerbOf(Type type) => type.GetCustomAttribute<VerbAttribute>(inherit: true);

    public OptionModel? Long(string name) => Options.FirstOrDefault(o => o.LongName == name);

    public OptionModel? Short(char name) => Options.FirstOrDefault(o => o.ShortName == name);

    /// <summary>
    /// The word-by-word path's last step: the class among <paramref name="level"/> that answers <paramref name="word"/>.
    /// Only the <c>[Verb]</c> attributes of the others are read; their flags are never reflected over.
    /// </summary>
    public static VerbModel? Find(IEnumerable<Type> level, string word)
    {
        foreach (var type in level)
        {
            if (VerbOf(type) is { } verb && (verb.Name == word || (verb.Aliases?.Contains(word) ?? false)))
                return Of(type);
        }
        return null;
    }

    internal static ValueKind Kind(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(bool)) return ValueKind.Switch;
        if (t.IsEnum) return ValueKind.Enum;
        if (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(uint) || t == typeof(ushort)) return ValueKind.Integer;
        if (t != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(t)) return ValueKind.List;
        return ValueKind.Text;
    }

    private static string[] EnumWords(Type t) =>
        Enum.GetNames(Nullable.GetUnderlyingType(t) ?? t).Select(n => n.ToLowerInvariant()).ToArray();
}

internal enum ValueKind { Switch, Text, Integer, Enum, List }

/// <summary>One flag: <c>-c, --country CC</c>, with the text its help line shows.</summary>
internal sealed record OptionModel(PropertyInfo Property, char? ShortName, string LongName, string? MetaValue, bool Required, ValueKind Kind,
    RangeAttribute? Range, IReadOnlyList<string>? Allowed, char? Separator, string Help, object? Default)
{
    public bool TakesValue => Kind != ValueKind.Switch;
    public string Display => $"--{LongName}";
}

/// <summary>One positional argument: <c>&lt;port&gt;</c>, with the text its help line shows.</summary>
internal sealed record ValueModel(PropertyInfo Property, int Index, string MetaName, bool Required, RangeAttribute? Range, IReadOnlyList<string>? Allowed,
    string Help);
