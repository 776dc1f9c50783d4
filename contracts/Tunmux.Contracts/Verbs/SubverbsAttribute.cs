namespace Tunmux.Contracts;

/// <summary>
/// Makes a <c>[Verb]</c> class a group of nested verbs (<c>ports</c> of <c>ports add</c>). The host
/// dispatches one word at a time: the group's word selects the class, the next word one of
/// <see cref="Verbs"/>, and only the verb finally reached is parsed for flags. A group may nest groups.
/// <code>
/// [Verb("ports", HelpText = "Forwarded ports")]
/// [Subverbs(typeof(PortsList), typeof(PortsAdd))]
/// public sealed class PortsGroup;
/// </code>
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SubverbsAttribute(params Type[] verbs) : Attribute
{
    /// <summary>The option classes (each with <c>[Verb]</c>) of the verbs in the group, in help order.</summary>
    public IReadOnlyList<Type> Verbs { get; } = verbs;
}
