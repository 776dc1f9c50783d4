using System.Reflection;
using Tunmux.Contracts;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Cli;

/// <summary>
/// The verbs below one provider: the standard ones (the provider's derived classes where it declared
/// them) and its own, checked once against the contracts so a malformed declaration is one line about
/// the plugin rather than a failure in the middle of a command.
/// </summary>
internal sealed class ProviderVerbs
{
    private ProviderVerbs(ProviderCommands declared, IReadOnlyList<Type> top)
    {
        Declared = declared;
        Top = top;
    }

    public ProviderCommands Declared { get; }

    /// <summary>The first level: standard verbs, then the provider's own, in help order.</summary>
    public IReadOnlyList<Type> Top { get; }

    public static ProviderVerbs Of(IVpnProvider provider)
    {
        var declared = provider.Describe();
        var standard = new (string Verb, Type Declared, Type Base)[]
        {
            ("login", declared.Login, typeof(LoginOptions)),
            ("logout", declared.Logout, typeof(LogoutOptions)),
            ("info", declared.Info, typeof(InfoOptions)),
            ("servers", declared.Servers, typeof(ServersOptions)),
            ("connect", declared.Connect, typeof(ConnectOptions)),
        };
        var top = new List<Type>();
        foreach (var (verb, type, baseType) in standard)
        {
            if (!baseType.IsAssignableFrom(type))
                throw Broken(provider, $"its {verb} options class {type.FullName} does not derive from {baseType.Name}");
            if (!declared.UnsupportedStandardVerbs.Contains(verb)) top.Add(type);
        }
        top.Add(typeof(RefreshVerb));
        top.AddRange(HostVerbs.Bookkeeping);
        foreach (var own in declared.Verbs)
        {
            var name = Check(provider, own);
            // A standard verb keeps its word; a provider verb of the same name would shadow it.
            if (top.All(t => VerbModel.VerbOf(t)!.Name != name)) top.Add(own);
        }
        return new ProviderVerbs(declared, top);
    }

    /// <summary>The verb's word; its attributes only are read (its flags are reflected over when it is used).</summary>
    private static string Check(IVpnProvider provider, Type verb)
    {
        var attribute = VerbModel.VerbOf(verb) ?? throw Broken(provider, $"its verb class {verb.FullName} has no [Verb] attribute");
        var group = verb.GetCustomAttribute<SubverbsAttribute>(inherit: false);
        if (group is null && verb.GetConstructor(Type.EmptyTypes) is null)
            throw Broken(provider, $"its verb class {verb.FullName} needs a public parameterless constructor");
        foreach (var sub in group?.Verbs ?? []) Check(provider, sub);
        return attribute.Name;
    }

    private static PluginLoadException Broken(IVpnProvider provider, string why) =>
        new("broken", $"plugin '{provider.Name}' is broken: {why}");
}
