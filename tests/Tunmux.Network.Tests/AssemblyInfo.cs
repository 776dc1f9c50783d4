// Namespaces, wireguard-go and the lab exist only on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
