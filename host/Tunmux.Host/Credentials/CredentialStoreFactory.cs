using Tunmux.Contracts;

namespace Tunmux.Host.Credentials;

/// <summary>Chooses the credential store named by <c>credential_store</c> in the <c>[general]</c> section of config.toml.</summary>
public static class CredentialStoreFactory
{
    /// <summary>
    /// The store for one provider. <paramref name="kind"/> is <c>file</c> (0600 files under the config
    /// folder) or <c>keyring</c> (Secret Service on Linux, Keychain on macOS). Nothing is touched until
    /// the first read or write, so creating a store never fails on a locked keyring.
    /// </summary>
    public static ICredentialStore Create(string kind, string provider, TunmuxPaths paths)
    {
        ItemNames.ValidateProvider(provider);
        return kind switch
        {
            "file" => new FileCredentialStore(paths.ProviderDir(provider)),
            "keyring" when OperatingSystem.IsMacOS() => new KeychainCredentialStore(provider),
            "keyring" => new SecretServiceCredentialStore(provider),
            _ => throw new CredentialStoreException($"credential_store = \"{kind}\" is not known: use \"file\" or \"keyring\""),
        };
    }
}
