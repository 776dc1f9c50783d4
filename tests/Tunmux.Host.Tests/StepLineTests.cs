using NUnit.Framework;
using Tunmux.Host.Output;

namespace Tunmux.Host.Tests;

/// <summary>The step line of commands that wait: one updating line on a terminal, plain lines elsewhere, nothing for JSON.</summary>
public sealed class StepLineTests
{
    private const string Erase = "\r\u001b[2K";

    private static (StepLine Line, StringWriter Error) New(StepMode mode, int width = 80, bool color = false)
    {
        var error = new StringWriter();
        return (new StepLine(error, () => mode, () => width, color), error);
    }

    [Test]
    public void On_a_terminal_the_steps_rewrite_one_line_and_the_end_clears_it()
    {
        var (line, error) = New(StepMode.Terminal);
        line.Step("resolving the server");
        line.Step("bringing the tunnel up");
        line.Done();

        Assert.That(error.ToString(), Is.EqualTo(Erase + "resolving the server" + Erase + "bringing the tunnel up" + Erase));
        Assert.That(error.ToString(), Does.Not.Contain("\n"), "never a new line: the steps share one");
    }

    [Test]
    public void On_a_terminal_a_long_step_is_cut_to_the_width_and_control_characters_are_dropped()
    {
        var (line, error) = New(StepMode.Terminal, width: 20);
        line.Step("fetching the\nserver list \u001b[31mfrom a very long provider name");

        var shown = error.ToString()[Erase.Length..];
        Assert.That(shown, Has.Length.EqualTo(19), "one column short of the width, so the terminal never wraps");
        Assert.That(shown, Does.Not.Contain("\n").And.Not.Contain("\u001b"));
        Assert.That(shown, Does.StartWith("fetching the server").Or.EndWith("~"));
    }

    [Test]
    public void The_terminal_line_is_dimmed_only_when_colour_is_allowed()
    {
        var (line, error) = New(StepMode.Terminal, color: true);
        line.Step("waiting");
        Assert.That(error.ToString(), Is.EqualTo(Erase + "\u001b[2mwaiting\u001b[0m"));
    }

    [Test]
    public void Elsewhere_each_step_is_a_line_and_the_end_writes_nothing()
    {
        var (line, error) = New(StepMode.Plain);
        line.Step("resolving the server");
        line.Step("bringing the tunnel up");
        line.Done();

        Assert.That(error.ToString(), Is.EqualTo("resolving the server" + Environment.NewLine + "bringing the tunnel up" + Environment.NewLine));
        Assert.That(error.ToString(), Does.Not.Contain("\u001b").And.Not.Contain("\r"));
    }

    [TestCase(StepMode.Plain)]
    [TestCase(StepMode.Terminal)]
    [TestCase(StepMode.Off)]
    public void With_json_output_no_step_is_shown(StepMode mode)
    {
        var (line, error) = New(mode);
        line.Quiet = true;
        line.Step("resolving the server");
        line.Done();
        Assert.That(error.ToString(), Is.Empty);
    }

    [Test]
    public void Off_shows_nothing()
    {
        var (line, error) = New(StepMode.Off);
        line.Step("resolving the server");
        line.Done();
        Assert.That(error.ToString(), Is.Empty);
    }

    [Test]
    public void The_mode_is_chosen_at_the_first_step_only()
    {
        var asked = 0;
        var line = new StepLine(new StringWriter(), () => { asked++; return StepMode.Plain; }, () => 80, false);
        Assert.That(asked, Is.Zero, "nothing is looked at before a step: a command that never waits pays nothing");
        line.Step("a");
        line.Step("b");
        Assert.That(asked, Is.EqualTo(1));
    }

    [TestCase(false, true, "xterm-256color", StepMode.Terminal)]
    [TestCase(false, false, "xterm-256color", StepMode.Plain)]
    [TestCase(false, true, "dumb", StepMode.Plain)]
    [TestCase(false, true, null, StepMode.Plain)]
    [TestCase(false, true, "", StepMode.Plain)]
    [TestCase(true, true, "xterm", StepMode.Off)]
    [TestCase(true, false, null, StepMode.Off)]
    public void The_mode_follows_json_the_terminal_and_TERM(bool json, bool terminal, string? term, StepMode expected) =>
        Assert.That(StepLine.ChooseMode(json, terminal, term), Is.EqualTo(expected));

    [Test]
    public void Output_written_while_the_line_shows_clears_it_first_so_a_result_never_lands_behind_it()
    {
        var raw = new StringWriter();
        var line = new StepLine(raw, () => StepMode.Terminal, () => 80, false);
        using var output = new StepAwareWriter(raw);
        StepLine.MakeActive(line);
        try
        {
            line.Step("bringing the tunnel up");
            output.WriteLine("Connected us-1");
            line.Done();
        }
        finally
        {
            StepLine.MakeActive(null);
        }
        Assert.That(raw.ToString(), Is.EqualTo(Erase + "bringing the tunnel up" + Erase + "Connected us-1" + Environment.NewLine));
    }
}
