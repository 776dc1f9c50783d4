using System.Reflection;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.TestSupport;

/// <summary>
/// Turns the words of a provider command into the typed options the host hands the provider, with
/// CommandLineParser set up as the host sets it up, so a provider's tests call it the way tunmux does.
/// </summary>
public static class VerbLines
{
    private static readonly Parser Parser = VerbParsing.CreateParser();

    /// <summary>The options class <typeparamref name="T"/> parsed from <paramref name="words"/> (flags and arguments).</summary>
    public static T Options<T>(params string[] words) where T : class => (T)Parse(typeof(T), words);

    /// <summary>The request the host builds from the words of <c>login</c>.</summary>
    public static LoginRequest Login<T>(params string[] words) where T : LoginOptions
    {
        var options = Options<T>(words);
        return new LoginRequest { Username = options.Username, Options = options };
    }

    /// <summary>The request the host builds from the words of <c>connect</c>.</summary>
    public static ConnectRequest Connect<T>(params string[] words) where T : ConnectOptions
    {
        var o = Options<T>(words);
        return new ConnectRequest { ServerName = o.Server, Country = o.Country, ProxyMode = o.Proxy, Sort = o.Sort, Options = o };
    }

    /// <summary>The request the host builds from the words of <c>servers</c>.</summary>
    public static ServerQuery Servers<T>(params string[] words) where T : ServersOptions
    {
        var o = Options<T>(words);
        return new ServerQuery { Country = o.Country, Refresh = o.Refresh, Sort = o.Sort, Options = o };
    }

    /// <summary>
    /// The invocation of a provider verb: <paramref name="path"/> (<c>"ports add"</c>) walked through the provider's
    /// declared verbs and groups, the words parsed into the class reached.
    /// </summary>
    public static VerbInvocation Invocation(IVpnProvider provider, string path, params string[] words)
    {
        IReadOnlyList<Type> level = provider.Describe().Verbs;
        var resolved = new List<string>();
        Type? verb = null;
        foreach (var word in path.Split(' '))
        {
            verb = level.FirstOrDefault(t => Answers(t, word)) ?? throw new ArgumentException($"no verb '{word}' in '{path}'");
            resolved.Add(verb.GetCustomAttribute<VerbAttribute>()!.Name);
            level = verb.GetCustomAttribute<SubverbsAttribute>()?.Verbs ?? [];
        }
        // A group named without a command word runs its [Verb(isDefault: true)] subverb, as tunmux does.
        if (level.Count > 0)
        {
            verb = level.FirstOrDefault(t => t.GetCustomAttribute<VerbAttribute>()?.IsDefault == true) ?? throw new ArgumentException($"'{path}' is a group without a default verb");
            resolved.Add(verb.GetCustomAttribute<VerbAttribute>()!.Name);
        }
        return new VerbInvocation { Path = resolved, Options = Parse(verb!, words) };
    }

    private static bool Answers(Type t, string word) =>
        t.GetCustomAttribute<VerbAttribute>(inherit: true) is { } v && (v.Name == word || (v.Aliases?.Contains(word) ?? false));

    private static object Parse(Type type, string[] words)
    {
        var name = type.GetCustomAttribute<VerbAttribute>(inherit: true)?.Name ?? throw new ArgumentException($"{type} has no [Verb]");
        return Parser.ParseArguments([name, .. words], type) switch
        {
            Parsed<object> parsed => parsed.Value,
            NotParsed<object> failed => throw new ArgumentException($"'{string.Join(' ', words)}' does not parse as {type.Name}: {string.Join(", ", failed.Errors.Select(e => e.Tag))}"),
            _ => throw new InvalidOperationException(),
        };
    }
}
