using Tunmux.Host.Cli;
using Tunmux.Host.Output;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>Runs the CLI in-process on a private config folder and plugin folder, capturing output.</summary>
internal sealed class CliHarness : IDisposable
{
    private readonly TempDir _dir = new();

    public CliHarness(params string[] plugins)
    {
        Directory.CreateDirectory(PluginsDir);
        foreach (var p in plugins) PluginLayout.Install(PluginsDir, p);
        Paths = new TunmuxPaths(ConfigDir, [PluginsDir]);
    }

    public string Root => _dir.Path;
    public string ConfigDir => _dir.Combine("config");
    public string PluginsDir => _dir.Combine("plugins");
    public TunmuxPaths Paths { get; }

    public string Out { get; private set; } = "";
    public string Err { get; private set; } = "";
    public string? Parsed { get; private set; }

    public int Run(params string[] args) => Run(args, parseOnly: false);

    public int Parse(params string[] args) => Run(args, parseOnly: true);

    public int Run(string[] args, bool parseOnly, string stdin = "")
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var app = new CliApp(Paths, new ConsoleIO(o, e, new StringReader(stdin), interactive: false)) { ParseOnly = parseOnly };
        var code = app.RunAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        Out = o.ToString();
        Err = e.ToString();
        Parsed = app.LastParsed;
        return code;
    }

    public void WriteConfig(string toml)
    {
        Directory.CreateDirectory(ConfigDir);
        File.WriteAllText(Paths.ConfigFile, toml);
    }

    public void Dispose() => _dir.Dispose();
}
