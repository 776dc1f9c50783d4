using Tunmux.Contracts;

namespace Tunmux.Host.Output;

/// <summary>How a command's steps are shown.</summary>
public enum StepMode
{
    /// <summary>Not at all (<c>--json</c>: the caller reads stdout and wants nothing else).</summary>
    Off,

    /// <summary>One line per step on standard error (not a terminal, or a terminal without cursor control).</summary>
    Plain,

    /// <summary>One line rewritten in place on the terminal, cleared when the command is done.</summary>
    Terminal,
}

/// <summary>
/// The steps of a command that waits (connect, a server listing, a provider's <c>generate</c>), on standard error
/// so that standard output stays parseable. On a terminal the steps share one line, rewritten in place with a
/// carriage return and "erase line" and cleared at the end, so only the result stays; elsewhere each step is a
/// line of its own. Hand-written rather than Spectre.Console's status display: two control sequences are all it
/// needs, and a command that never waits must not pay for loading a console library.
/// Costs nothing until the first step: the terminal is looked at then.
/// </summary>
public sealed class StepLine : IStepReporter
{
    private const string EraseLine = "\r\u001b[2K";
    private const string Dim = "\u001b[2m";
    private const string Reset = "\u001b[0m";

    private readonly Lock _gate = new();
    private readonly TextWriter _error;
    private readonly Func<StepMode> _chooseMode;
    private readonly Func<int> _width;
    private readonly bool _color;
    private StepMode? _mode;
    private bool _visible;

    /// <param name="error">Where the steps go (standard error).</param>
    /// <param name="chooseMode">Decides the mode at the first step.</param>
    /// <param name="width">The terminal's width in columns; a longer step is cut to fit one line.</param>
    /// <param name="color">Whether the step line may be dimmed (not under NO_COLOR).</param>
    public StepLine(TextWriter error, Func<StepMode> chooseMode, Func<int> width, bool color)
    {
        _error = error;
        _chooseMode = chooseMode;
        _width = width;
        _color = color;
    }

    /// <summary>Set when the command's output is <c>--json</c>: no step is shown at all.</summary>
    public bool Quiet { get; set; }

    /// <summary>The step line of the running command, which writes to the terminal clear first.</summary>
    public static StepLine? Active { get; private set; }

    /// <summary>Makes <paramref name="line"/> the one that writes to the process's output clear (tests).</summary>
    internal static void MakeActive(StepLine? line) => Active = line;

    /// <summary>The command's step line for the real terminal: <see cref="Active"/> from now on.</summary>
    public static StepLine ForProcess(IConsoleIO console)
    {
        // Past the clearing writer: the line's own writes must not clear it.
        var error = console.Error is StepAwareWriter aware ? aware.Inner : console.Error;
        var line = new StepLine(error, () => ChooseMode(
                json: false,
                stderrIsTerminal: !Console.IsErrorRedirected && Native.IsATty(2) == 1,
                term: Environment.GetEnvironmentVariable("TERM")),
            TerminalWidth,
            color: string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")));
        Active = line;
        return line;
    }

    /// <summary>
    /// Off for JSON output; the one updating line only on a terminal that can move its cursor (TERM set and not
    /// <c>dumb</c>); plain lines otherwise (a pipe, a log file, an editor's shell buffer).
    /// </summary>
    public static StepMode ChooseMode(bool json, bool stderrIsTerminal, string? term) =>
        json ? StepMode.Off
        : stderrIsTerminal && !string.IsNullOrEmpty(term) && term != "dumb" ? StepMode.Terminal
        : StepMode.Plain;

    /// <summary>Shows <paramref name="text"/> as the current step.</summary>
    public void Step(string text)
    {
        if (Quiet) return;
        text = OneLine(text);
        lock (_gate)
        {
            _mode ??= _chooseMode();
            switch (_mode)
            {
                case StepMode.Plain:
                    _error.WriteLine(text);
                    _error.Flush();
                    break;
                case StepMode.Terminal:
                    var fit = Fit(text, _width() - 1);
                    _error.Write(EraseLine + (_color ? Dim + fit + Reset : fit));
                    _error.Flush();
                    _visible = true;
                    break;
            }
        }
    }

    /// <summary>Clears the step line (before the result is printed); the next step shows it again.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (!_visible) return;
            _visible = false;
            _error.Write(EraseLine);
            _error.Flush();
        }
    }

    /// <summary>The command is over: the line is cleared and no longer <see cref="Active"/>.</summary>
    public void Done()
    {
        Clear();
        if (Active == this) Active = null;
    }

    private static string Fit(string text, int width) =>
        width < 4 || text.Length <= width ? text : text[..(width - 1)] + "~";

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\u001b'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth is > 0 and var w ? w : 80;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            return 80;
        }
    }
}

/// <summary>
/// Standard output or error of the process: clears a visible step line before anything is written, so that a
/// result, a warning or a prompt never lands behind it on the terminal's line.
/// </summary>
internal sealed class StepAwareWriter(TextWriter inner) : TextWriter
{
    public TextWriter Inner => inner;

    public override System.Text.Encoding Encoding => inner.Encoding;
    public override IFormatProvider FormatProvider => inner.FormatProvider;
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine { get => inner.NewLine; set => inner.NewLine = value; }

    public override void Write(char value)
    {
        StepLine.Active?.Clear();
        inner.Write(value);
    }

    public override void Write(string? value)
    {
        StepLine.Active?.Clear();
        inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        StepLine.Active?.Clear();
        inner.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        StepLine.Active?.Clear();
        inner.Write(buffer);
    }

    public override void WriteLine(string? value)
    {
        StepLine.Active?.Clear();
        inner.WriteLine(value);
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        StepLine.Active?.Clear();
        inner.WriteLine(buffer);
    }

    public override void Flush() => inner.Flush();
}
