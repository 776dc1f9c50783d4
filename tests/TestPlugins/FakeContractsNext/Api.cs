namespace Tunmux.Contracts;

public interface IVpnProvider { string Name { get; } }

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class TunmuxPluginAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}
