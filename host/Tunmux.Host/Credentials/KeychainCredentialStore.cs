using System.Text;
using Tunmux.Contracts;
using Tunmux.Privileged.Processes;

namespace Tunmux.Host.Credentials;

/// <summary>
/// Items in the macOS login Keychain as generic passwords (service <c>tunmux</c>, account
/// <c>&lt;provider&gt;/&lt;item&gt;</c>), through the <c>security</c> tool. Writes go through
/// <c>security -i</c>, which reads its command from standard input, with the data hex-encoded
/// (<c>-X</c>), so the secret never appears in a process argument list. The stored data is the
/// base64 of the value's UTF-8 bytes: always printable, so <c>find-generic-password -w</c> prints it
/// unchanged and reading it back is unambiguous.
/// </summary>
public sealed class KeychainCredentialStore : ICredentialStore
{
    private const string Security = "/usr/bin/security";
    private const string Service = "tunmux";
    private const int ItemNotFound = 44; // errSecItemNotFound, as security(1) reports it
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly string _provider;

    public KeychainCredentialStore(string provider)
    {
        ItemNames.ValidateProvider(provider);
        _provider = provider;
    }

    public string Description => "keyring (macOS Keychain, service tunmux)";

    private string Account(string item)
    {
        ItemNames.Validate(item);
        return $"{_provider}/{item}";
    }

    public async Task<string?> GetAsync(string item, CancellationToken cancellationToken)
    {
        var r = await ProcessRunner.Default.RunAsync(Security, ["find-generic-password", "-s", Service, "-a", Account(item), "-w"],
            timeout: Timeout, cancellationToken: cancellationToken);
        if (r.ExitCode == ItemNotFound) return null;
        Check(r, "read");
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(r.StandardOutput.Trim()));
        }
        catch (FormatException e)
        {
            throw new CredentialStoreException($"keyring: the Keychain item tunmux {Account(item)} was not written by tunmux; delete it with 'security delete-generic-password -s tunmux -a {Account(item)}' and log in again", e);
        }
    }

    public async Task SetAsync(string item, string value, CancellationToken cancellationToken)
    {
        // Item names and the provider follow ItemNames' rule, so they need no quoting in the -i command line.
        var command = $"add-generic-password -U -s {Service} -a {Account(item)} -l \"tunmux {_provider} {item}\" -X {Convert.ToHexString(Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))))}\n";
        var r = await ProcessRunner.Default.RunAsync(Security, ["-i"], stdin: command, timeout: Timeout, cancellationToken: cancellationToken);
        Check(r, "write");
    }

    public async Task<bool> DeleteAsync(string item, CancellationToken cancellationToken)
    {
        var r = await ProcessRunner.Default.RunAsync(Security, ["delete-generic-password", "-s", Service, "-a", Account(item)],
            timeout: Timeout, cancellationToken: cancellationToken);
        if (r.ExitCode == ItemNotFound) return false;
        Check(r, "delete");
        return true;
    }

    private static void Check(ProcessResult r, string what)
    {
        if (!r.Succeeded)
            throw new CredentialStoreException($"keyring: cannot {what} the Keychain item ({r.Summary}); {SecretServiceErrors.Fix}");
    }
}
