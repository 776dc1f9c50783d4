using System.Reflection;
using System.Runtime.Loader;

namespace Tunmux.Host.Plugins;

/// <summary>
/// One plugin's own load context. The plugin's <c>.deps.json</c> is read by the runtime's own
/// resolver (<see cref="AssemblyDependencyResolver"/>, native code in the host), so a dependency
/// the plugin ships always resolves to the plugin's copy, even when the host carries another
/// version of the same library. Only the contracts, and the framework, come from the host.
/// </summary>
internal sealed class PluginLoadContext(string mainAssemblyPath)
    : AssemblyLoadContext("tunmux plugin " + Path.GetFileNameWithoutExtension(mainAssemblyPath))
{
    private static readonly string ContractsName = typeof(Tunmux.Contracts.IVpnProvider).Assembly.GetName().Name!;

    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // One contracts assembly for host and plugins, so an IVpnProvider is the same type on both sides.
        if (assemblyName.Name == ContractsName) return null;
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
