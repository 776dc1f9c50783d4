using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

/// <summary>
/// The one package every test here looks at: built once per run by <c>build/package.sh</c> (the
/// slow part: a self-contained publish), or taken from <c>TUNMUX_TEST_DEB</c> when a run has
/// built it already, then unpacked with <c>dpkg-deb -R</c> for the tests that read its files.
/// </summary>
[SetUpFixture]
public sealed class BuiltPackage
{
    private static TempDir? _scratch;
    private static string? _deb;
    private static string? _unpacked;

    public static string Deb => _deb ?? throw new InvalidOperationException("the package was not built");

    /// <summary>The package unpacked: its files under their installed paths, its control files under DEBIAN/.</summary>
    public static string Unpacked => _unpacked ?? throw new InvalidOperationException("the package was not built");

    /// <summary>A scratch folder of this run, removed at its end.</summary>
    public static string Scratch => _scratch?.Path ?? throw new InvalidOperationException("the package was not built");

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The version the projects declare, which the package must carry.</summary>
    public static string Version { get; } = ReadVersion();

    [OneTimeSetUp]
    public void Build()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs Linux: a Debian package is built and installed");
        Requires.Command("dpkg-deb", "dpkg");
        Requires.Command("dpkg-shlibdeps", "dpkg-dev");
        Requires.Command("visudo", "sudo");
        _scratch = new TempDir("tunmux-package-test-");
        var given = Environment.GetEnvironmentVariable("TUNMUX_TEST_DEB");
        if (!string.IsNullOrEmpty(given))
        {
            _deb = Path.GetFullPath(given);
        }
        else
        {
            var built = Lab.Run("bash", [Path.Combine(RepoRoot, "build", "package.sh"), _scratch.Combine("dist")], timeoutMs: 20 * 60_000);
            Assert.That(built.ExitCode, Is.Zero, "build/package.sh failed: " + built.Error);
            _deb = built.Output.Trim().Split('\n')[^1];
        }
        Assert.That(File.Exists(_deb), Is.True, "no package at " + _deb);
        _unpacked = _scratch.Combine("unpacked");
        Lab.Check(Lab.Run("dpkg-deb", ["-R", _deb, _unpacked]));
    }

    [OneTimeTearDown]
    public void Clean() => _scratch?.Dispose();

    /// <summary>The package's control field <paramref name="name"/> (dpkg-deb -f).</summary>
    public static string Field(string name) => Lab.Check(Lab.Run("dpkg-deb", ["-f", Deb, name])).Trim();

    /// <summary>
    /// The same package under another version, for a real upgrade, written to <paramref name="folder"/>; cheap
    /// compression, since it is read once. Returns its file name.
    /// </summary>
    public static string RepackAs(string version, string folder)
    {
        var tree = Path.Combine(Scratch, "repack-" + version);
        Lab.Check(Lab.Run("cp", ["-a", Unpacked, tree]));
        var control = Path.Combine(tree, "DEBIAN", "control");
        File.WriteAllText(control, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(control), "(?m)^Version: .*$", "Version: " + version));
        var name = $"tunmux_{version}_upgrade.deb";
        Lab.Check(Lab.Run("dpkg-deb", ["--root-owner-group", "-Zgzip", "-z1", "--build", tree, Path.Combine(folder, name)], timeoutMs: 5 * 60_000));
        Directory.Delete(tree, recursive: true);
        return name;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build", "package.sh"))) return dir.FullName;
        throw new FileNotFoundException("build/package.sh not found above " + AppContext.BaseDirectory);
    }

    private static string ReadVersion()
    {
        var props = File.ReadAllText(Path.Combine(FindRepoRoot(), "Directory.Build.props"));
        var match = System.Text.RegularExpressions.Regex.Match(props, "<Version>([^<]+)</Version>");
        return match.Success ? match.Groups[1].Value : throw new InvalidDataException("no <Version> in Directory.Build.props");
    }
}
