using Tunmux.Contracts;

namespace Tunmux.Host.Credentials;

/// <summary>
/// A credential store could not do its job (keyring locked or absent, bad item name, unwritable folder).
/// It is a <see cref="ProviderException"/> so the host prints it as one line, like any user-fixable error.
/// </summary>
public sealed class CredentialStoreException : ProviderException
{
    public CredentialStoreException(string message) : base(message) { }

    public CredentialStoreException(string message, Exception inner) : base(message, inner) { }
}
