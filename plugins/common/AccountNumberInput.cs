using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// Reads an account number, the only credential of Mullvad and IVPN accounts: from the command
/// line (as the original tool takes it, with a warning that it is now in the shell history),
/// from standard input (<c>--account-stdin</c>), from the provider's environment variable, or
/// from a prompt without echo. It is registered as a secret at once, so no log line can show it.
/// </summary>
internal sealed class AccountNumberInput(string provider, string label, string environmentVariable, string loginCommand)
{
    /// <summary>Turns what the user typed into the provider's canonical form; throws <see cref="ProviderException"/> when it cannot be one.</summary>
    public required Func<string, string> Normalize { get; init; }

    /// <param name="argument">The argument, or null.</param>
    /// <param name="fromStdin"><c>--account-stdin</c>: read the first line of standard input.</param>
    /// <param name="piped">The line the host already read for <c>--password-stdin</c> (taken as the account number), or null.</param>
    public string Read(string? argument, bool fromStdin, string? piped, IConsoleIO console, IPluginLogger log, Func<string, string?> environment)
    {
        string? raw;
        if (fromStdin || piped is not null)
        {
            if (argument is not null)
                throw new ProviderException($"give the {label} either as an argument or on standard input, not both");
            if (fromStdin && piped is not null)
                throw new ProviderException($"--account-stdin and --password-stdin both read standard input; give one (--account-stdin)");
            raw = piped ?? console.ReadStdinLine();
            if (string.IsNullOrWhiteSpace(raw))
                throw new ProviderException($"--account-stdin: standard input held no {label}; pipe it in, e.g. `{loginCommand} --account-stdin < file`");
        }
        else if (argument is not null)
        {
            raw = argument;
            log.RegisterSecret(raw);
            console.Error.WriteLine($"warning: the {label} given as an argument is now in your shell history; " +
                $"prefer --account-stdin, {environmentVariable} or the prompt, and clear that history line");
        }
        else if (environment(environmentVariable) is { Length: > 0 } fromEnvironment)
        {
            raw = fromEnvironment;
        }
        else if (console.IsInteractive)
        {
            raw = console.PromptSecret($"{provider} {label}: ");
            if (string.IsNullOrWhiteSpace(raw)) throw new ProviderException($"no {label} given; login cancelled");
        }
        else
        {
            throw new ProviderException($"no {provider} {label}: pass it with --account-stdin or {environmentVariable}, or run `{loginCommand}` from a terminal");
        }

        log.RegisterSecret(raw);
        var normalized = Normalize(raw);
        log.RegisterSecret(normalized);
        return normalized;
    }
}
