using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using NUnit.Framework;

namespace Tunmux.Sdk.Tests;

/// <summary>
/// The published host as it ships: its dependency manifest names the two specified packages that
/// parse its command lines and load its plugins, their assemblies are beside it, and the host has
/// no load context of its own. Needs TUNMUX_TEST_HOST (path of the published tunmux.dll).
/// </summary>
[TestFixture]
public sealed class PublishedHostTests
{
    private static string HostFolder()
    {
        var host = Environment.GetEnvironmentVariable("TUNMUX_TEST_HOST");
        if (string.IsNullOrEmpty(host))
            Assert.Ignore("needs TUNMUX_TEST_HOST=<path of the published tunmux.dll>: reads the published layout");
        Assert.That(File.Exists(host), Is.True, $"TUNMUX_TEST_HOST={host} does not exist");
        return Path.GetDirectoryName(host)!;
    }

    [TestCase("McMaster.NETCore.Plugins", "McMaster.NETCore.Plugins.dll")]
    [TestCase("CommandLineParser", "CommandLine.dll")]
    public void The_dependency_manifest_names_the_specified_package(string package, string assembly)
    {
        var folder = HostFolder();
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "tunmux.deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(libraries, Has.Some.StartsWith(package + "/"), $"tunmux.deps.json lists {package}");

        Assert.That(File.Exists(Path.Combine(folder, assembly)), Is.True, $"{assembly} is published beside the host");
    }

    [Test]
    public void The_host_defines_no_assembly_load_context_of_its_own()
    {
        using var stream = File.OpenRead(Path.Combine(HostFolder(), "tunmux.dll"));
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var derived = reader.TypeDefinitions
            .Select(reader.GetTypeDefinition)
            .Where(t => !t.BaseType.IsNil && t.BaseType.Kind == HandleKind.TypeReference
                        && reader.GetString(reader.GetTypeReference((TypeReferenceHandle)t.BaseType).Name) == "AssemblyLoadContext")
            .Select(t => reader.GetString(t.Name))
            .ToList();
        Assert.That(derived, Is.Empty, "plugins are loaded by McMaster.NETCore.Plugins' load context only");
    }
}
