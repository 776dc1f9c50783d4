namespace Tunmux.Plugins.Proton.Srp;

/// <summary>The SRP exchange cannot go on (bad parameters from the server, bad signature, wrong proof).</summary>
public sealed class SrpException(string message) : Exception(message);
