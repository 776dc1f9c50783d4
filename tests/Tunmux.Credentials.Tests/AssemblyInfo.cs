// The credential tests exercise POSIX permissions, ownership and D-Bus.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
