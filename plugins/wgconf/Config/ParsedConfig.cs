using Tunmux.Contracts;

namespace Tunmux.Plugins.WgConf.Config;

/// <summary>A valid config: the profile to bring up and the warnings about keys tunmux ignores.</summary>
/// <param name="Profile">The tunnel.</param>
/// <param name="Warnings">One line each, <c>file:line: ...</c>; never contain secrets.</param>
/// <param name="ListenPort">The config's ListenPort, when given (validated, not used: the host binds its own).</param>
public sealed record ParsedConfig(WireGuardProfile Profile, IReadOnlyList<string> Warnings, int? ListenPort);
