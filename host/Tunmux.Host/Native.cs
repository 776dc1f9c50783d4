using System.Runtime.InteropServices;

namespace Tunmux.Host;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "getuid")]
    internal static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    internal static partial uint GetGid();

    [LibraryImport("libc", EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Chown(string path, uint owner, uint group);
}
