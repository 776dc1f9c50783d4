using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tunmux.Host.Privileged;

/// <summary>The owner of a file, which .NET does not expose; statx has the same layout on every architecture.</summary>
internal static unsafe partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The owning uid, or null when the file cannot be examined.</summary>
    public static uint? Of(string path)
    {
        var buffer = new byte[256];
        fixed (byte* b = buffer)
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxUid, b) != 0) return null;
        }
        // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, ...
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20));
    }
}
