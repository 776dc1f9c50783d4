namespace Tunmux.TestSupport;

/// <summary>
/// Lays built plugins out as <c>&lt;dir&gt;/&lt;name&gt;/&lt;name&gt;.dll</c>, the way an install does. The test project
/// that uses a plugin references its project (<c>ReferenceOutputAssembly="false"</c>) so that it is built first.
/// </summary>
public static class PluginLayout
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string Configuration =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string Install(string pluginsDir, string name)
    {
        var candidates = new[]
        {
            Path.Combine(RepoRoot, "tests", "TestPlugins", name, "bin", Configuration, "net10.0"),
            Path.Combine(RepoRoot, "plugins", name, "bin", Configuration, "net10.0"),
        };
        var source = candidates.First(Directory.Exists);
        var target = Path.Combine(pluginsDir, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            if (Path.GetFileName(file) is "Tunmux.Contracts.dll" or "CommandLine.dll") continue;
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
        return target;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "tunmux.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("tunmux.sln not found above the test folder");
    }
}
