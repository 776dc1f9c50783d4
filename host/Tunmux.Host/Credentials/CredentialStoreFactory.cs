using Tunmux.Contracts;

namespace Tunmux.Host.Credentials;

// Placeholder until the file and keyring stores land.
public static class CredentialStoreFactory
{
    public static ICredentialStore Create(string kind, string provider, TunmuxPaths paths) =>
        throw new NotImplementedException("credential stores not implemented yet");
}
