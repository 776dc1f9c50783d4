// The daemon and these tests are Linux-only (Unix sockets, SO_PEERCRED, /proc, sudo).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
