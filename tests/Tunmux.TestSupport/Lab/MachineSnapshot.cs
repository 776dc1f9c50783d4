namespace Tunmux.TestSupport.Lab;

/// <summary>This machine's own ruleset, routes and rules (the root namespace): tests must never change them.</summary>
public sealed record MachineSnapshot(string Ruleset, string Routes, string Rules)
{
    public static MachineSnapshot Take() => new(
        Requires.Which("nft") is null ? "" : Lab.Check(Lab.Run("nft", ["list", "ruleset"])),
        Lab.Check(Lab.Run("ip", ["-4", "route", "show", "table", "all"])) + Lab.Check(Lab.Run("ip", ["-6", "route", "show", "table", "all"])),
        Lab.Check(Lab.Run("ip", ["-4", "rule", "show"])) + Lab.Check(Lab.Run("ip", ["-6", "rule", "show"])));
}
