// tunmux runs on Linux (and macOS for direct mode); Unix file modes and libc calls are fine everywhere it runs.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
