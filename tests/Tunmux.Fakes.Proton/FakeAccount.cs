namespace Tunmux.Fakes.Proton;

/// <summary>An account the fake API knows.</summary>
/// <param name="Username">Login name.</param>
/// <param name="Password">Password (test data only).</param>
/// <param name="TotpSecret">Base32 TOTP secret when the account uses 2FA, else null.</param>
/// <param name="MaxTier">0 free, 1 basic, 2 plus, 3 visionary.</param>
public sealed record FakeAccount(string Username, string Password, string? TotpSecret = null, int MaxTier = 2)
{
    public string PlanName => MaxTier switch { 0 => "free", 1 => "vpnbasic", 3 => "visionary", _ => "vpnplus" };
    public string PlanTitle => MaxTier switch { 0 => "Proton Free", 1 => "VPN Basic", 3 => "Visionary", _ => "VPN Plus" };
    public int MaxConnect => MaxTier == 0 ? 1 : 10;

    /// <summary>Parses <c>user:password[:totpsecret[:tier]]</c> (command line of the standalone fake).</summary>
    public static FakeAccount Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length < 2) throw new ArgumentException($"account '{text}' is not user:password[:totpsecret[:tier]]");
        var totp = parts.Length > 2 && parts[2].Length > 0 ? parts[2] : null;
        var tier = parts.Length > 3 ? int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture) : 2;
        return new FakeAccount(parts[0], parts[1], totp, tier);
    }
}
