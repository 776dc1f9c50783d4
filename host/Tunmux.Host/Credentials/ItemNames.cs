namespace Tunmux.Host.Credentials;

/// <summary>
/// The one rule for credential item names, shared by every store: lowercase letters, digits,
/// '.', '_' and '-', no leading dot, at most 128 characters. Names are file names in the file
/// store, so the rule keeps them from escaping the provider folder or colliding with the
/// store's own dot-prefixed temporary files.
/// </summary>
public static class ItemNames
{
    public const int MaxLength = 128;

    public static bool IsValid(string? item) =>
        !string.IsNullOrEmpty(item)
        && item.Length <= MaxLength
        && item[0] != '.'
        && item.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-');

    /// <summary>Throws <see cref="CredentialStoreException"/> naming the rule when <paramref name="item"/> breaks it.</summary>
    public static void Validate(string? item)
    {
        if (!IsValid(item))
            throw new CredentialStoreException(
                $"credential item name '{item}' is invalid: use lowercase letters, digits, '.', '_' and '-' (no leading dot, at most {MaxLength} characters)");
    }

    /// <summary>The provider name must follow the same rule (it is a folder name and a keyring attribute).</summary>
    public static void ValidateProvider(string? provider)
    {
        if (!IsValid(provider))
            throw new CredentialStoreException($"provider name '{provider}' cannot name a credential folder: use lowercase letters, digits, '.', '_' and '-'");
    }
}
