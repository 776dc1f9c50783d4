using NUnit.Framework;

namespace Tunmux.Host.Tests;

/// <summary>
/// <c>tunmux exec</c>'s command line: only the instance is tunmux's, every later word the program's (its
/// <c>-v</c> and <c>--help</c> included), with or without <c>--</c>; <c>--rootless</c> on connect.
/// </summary>
[TestFixture]
public sealed class ExecCommandLineTests
{
    private CliHarness _cli = null!;

    [OneTimeSetUp]
    public void SetUp() => _cli = new CliHarness("wgconf");

    [OneTimeTearDown]
    public void TearDown() => _cli.Dispose();

    [TestCase("exec us-1 curl -v https://example.com", "exec us-1 [curl -v https://example.com]")]
    [TestCase("exec us-1 -- curl -v https://example.com", "exec us-1 [curl -v https://example.com]")]
    [TestCase("-v exec us-1 ls --help", "exec us-1 [ls --help]")]
    [TestCase("exec us-1 -- -v", "exec us-1 [-v]")]
    [TestCase("exec us-1 sh -c exit~3 -- x", "exec us-1 [sh -c exit 3 -- x]")]
    public void Every_word_after_the_instance_is_the_programs(string line, string parsed)
    {
        Assert.That(_cli.Parse(line.Split(' ').Select(w => w.Replace('~', ' ')).ToArray()), Is.Zero, _cli.Err);
        Assert.That(_cli.Parsed, Is.EqualTo(parsed));
    }

    [TestCase("exec", "exec needs")]
    [TestCase("exec us-1", "exec needs a program to run")]
    [TestCase("exec us-1 --", "exec needs a program to run")]
    [TestCase("exec --all us-1 true", "unknown flag '--all'")]
    public void A_line_without_a_program_is_a_usage_error(string line, string message)
    {
        Assert.That(_cli.Parse(line.Split(' ')), Is.EqualTo(2));
        Assert.That(_cli.Err, Does.Contain(message).And.Contain("usage: tunmux exec"));
    }

    [Test]
    public void Help_explains_the_two_kinds_of_exit()
    {
        Assert.That(_cli.Run("exec", "--help"), Is.Zero);
        Assert.That(_cli.Out, Does.Contain("usage: tunmux exec").And.Contain("In a rootless exit").And.Contain("In a root-mode exit")
            .And.Contain("128+N"));
        Assert.That(_cli.Run("--help"), Is.Zero);
        Assert.That(_cli.Out, Does.Contain("exec"), "listed among the commands");
    }

    [Test]
    public void Exec_into_an_unknown_instance_is_one_line_naming_what_exists()
    {
        Assert.That(_cli.Run("exec", "nope", "true"), Is.EqualTo(1));
        Assert.That(_cli.Err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(_cli.Err, Does.Contain("no proxy exit named 'nope'; there are none"));
    }

    [Test]
    public void Rootless_without_proxy_is_refused_before_anything_starts()
    {
        Assert.That(_cli.Run("wgconf", "connect", "--rootless", "--file", "/nonexistent.conf"), Is.EqualTo(2));
        Assert.That(_cli.Err, Does.Contain("--rootless needs --proxy"));
    }
}
