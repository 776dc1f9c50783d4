namespace Tunmux.Host.Doctor;

/// <summary>ok: in place. warn: works, but something a user may want is missing. fail: tunmux cannot do its job. skip: does not apply.</summary>
internal enum CheckStatus { Ok, Warn, Fail, Skip }

/// <summary>One line of <c>tunmux doctor</c>: which check, how it went, what was found and, when it is not ok, the fix.</summary>
internal sealed record CheckResult(string Name, CheckStatus Status, string Detail, string? Fix = null)
{
    public static CheckResult Ok(string name, string detail) => new(name, CheckStatus.Ok, detail);
    public static CheckResult Skip(string name, string detail, string? fix = null) => new(name, CheckStatus.Skip, detail, fix);
    public static CheckResult Warn(string name, string detail, string fix) => new(name, CheckStatus.Warn, detail, fix);
    public static CheckResult Fail(string name, string detail, string fix) => new(name, CheckStatus.Fail, detail, fix);
}
