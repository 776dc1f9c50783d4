using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Contracts;

namespace Tunmux.Host.Output;

/// <summary>The terminal: prompts (with and without echo), aligned tables and JSON with snake_case names.</summary>
public sealed class ConsoleIO(TextWriter output, TextWriter error, TextReader input, bool interactive) : IConsoleIO
{
    /// <summary>The process's console; what is written to it first clears a command's step line (<see cref="StepLine"/>).</summary>
    public static ConsoleIO System() =>
        new(new StepAwareWriter(Console.Out), new StepAwareWriter(Console.Error), Console.In, !Console.IsInputRedirected && Native.IsATty(0) == 1);

    // Built on first use: most commands print no JSON, and loading System.Text.Json costs start-up time.
    private static readonly Lazy<JsonSerializerOptions> LazyJsonOptions = new(() => new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    });

    public static JsonSerializerOptions JsonOptions => LazyJsonOptions.Value;

    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;
    public bool IsInteractive { get; } = interactive;

    public string? Prompt(string prompt)
    {
        Error.Write(prompt);
        Error.Flush();
        return input.ReadLine();
    }

    public string? PromptSecret(string prompt)
    {
        Error.Write(prompt);
        Error.Flush();
        if (!IsInteractive) return input.ReadLine();
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            if (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key is ConsoleKey.C or ConsoleKey.D) return null;
            if (!char.IsControl(key.KeyChar)) sb.Append(key.KeyChar);
        }
        Error.WriteLine();
        return sb.ToString();
    }

    public string? ReadStdinLine() => input.ReadLine()?.TrimEnd('\r');

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) =>
        TableWriter.Write(Out, headers, rows);

    public void WriteJson(object? value)
    {
        Out.WriteLine(JsonSerializer.Serialize(value, value?.GetType() ?? typeof(object), JsonOptions));
    }
}
