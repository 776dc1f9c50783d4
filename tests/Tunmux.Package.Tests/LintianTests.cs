using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

[TestFixture]
public sealed class LintianTests
{
    [Test]
    public void Lintian_finds_no_error_and_no_warning()
    {
        Requires.Command("lintian", "lintian");
        // Informational tags are shown too, so a run's log keeps lintian's whole opinion of the package.
        var result = Lab.Run("lintian", ["--fail-on", "error,warning", "--display-info", "--no-tag-display-limit", BuiltPackage.Deb],
            timeoutMs: 10 * 60_000);
        TestContext.Out.WriteLine("lintian " + Path.GetFileName(BuiltPackage.Deb) + ":\n" + result.Output);
        Assert.That(result.ExitCode, Is.Zero, "lintian: " + result);
    }
}
