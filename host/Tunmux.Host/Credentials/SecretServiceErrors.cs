namespace Tunmux.Host.Credentials;

/// <summary>The one-line errors of the keyring store; each ends with the fix.</summary>
internal static class SecretServiceErrors
{
    public const string SwitchToFile = "set credential_store = \"file\" under [general] in config.toml";
    public const string Fix = "unlock the keyring or " + SwitchToFile;

    public static CredentialStoreException Locked(Exception? inner = null) =>
        Make($"keyring: the Secret Service keyring is locked; {Fix}", inner);

    public static CredentialStoreException NoDefaultCollection() =>
        Make($"keyring: the Secret Service has no default keyring; create one (for example with Seahorse) or {SwitchToFile}", null);

    public static CredentialStoreException Absent(Exception inner) =>
        Make($"keyring: no Secret Service answers on the D-Bus session (org.freedesktop.secrets); start one (gnome-keyring, KeePassXC) or {SwitchToFile}", inner);

    public static CredentialStoreException NoSession() =>
        Make($"keyring: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); run from a desktop session or {SwitchToFile}", null);

    public static CredentialStoreException NoBus(string address, Exception inner) =>
        Make($"keyring: cannot reach the D-Bus session at {address} ({inner.Message}); check DBUS_SESSION_BUS_ADDRESS or {SwitchToFile}", inner);

    public static CredentialStoreException NotAnswering(string address, TimeSpan timeout, Exception inner) =>
        Make($"keyring: the D-Bus session at {address} did not answer within {timeout.TotalSeconds:0.#} s; {Fix}", inner);

    private static CredentialStoreException Make(string message, Exception? inner) =>
        inner is null ? new CredentialStoreException(message) : new CredentialStoreException(message, inner);
}
