using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests.Support;

/// <summary>
/// A per-namespace kernel setting (<c>net.ipv4.*</c>) changed inside one lab namespace for a test,
/// and set back to what it was on dispose. The machine's own namespace is never touched.
/// </summary>
public sealed class NamespaceSysctl : IDisposable
{
    private readonly string _namespace;
    private readonly string _key;
    private readonly string _before;

    public NamespaceSysctl(string ns, string key, string value)
    {
        _namespace = ns;
        _key = key;
        _before = Lab.Check(Lab.InNamespace(ns, "sysctl", "-n", key)).Trim();
        Set(value);
    }

    private void Set(string value) => Lab.Check(Lab.InNamespace(_namespace, "sysctl", "-qw", $"{_key}={value}"));

    public void Dispose() => Set(_before);
}
