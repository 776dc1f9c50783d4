namespace Tunmux.Contracts;

/// <summary>
/// Names the provider type of a plugin assembly, so the host finds it without scanning every type.
/// Put <c>[assembly: TunmuxPlugin(typeof(MyProvider))]</c> in the plugin.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class TunmuxPluginAttribute : Attribute
{
    /// <summary>Declares <paramref name="providerType"/> as the plugin's provider.</summary>
    /// <param name="providerType">A public class implementing <see cref="IVpnProvider"/> with a public parameterless constructor.</param>
    public TunmuxPluginAttribute(Type providerType) => ProviderType = providerType;

    /// <summary>The provider type the host instantiates.</summary>
    public Type ProviderType { get; }
}
