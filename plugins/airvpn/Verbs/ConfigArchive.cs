using System.Formats.Tar;
using System.IO.Compression;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>
/// The archive <c>generate</c> writes several configs into: zip (as the original tool by default),
/// tar or tar.gz, with what .NET writes itself. Every entry is marked 0600: each holds a private key.
/// </summary>
internal static class ConfigArchive
{
    public static readonly IReadOnlyList<string> Formats = ["zip", "tar", "tar.gz"];

    /// <summary>The format asked (<c>--format</c>), else the one the output file's name says, else zip.</summary>
    public static string Choose(string? format, string? output)
    {
        if (format is not null)
        {
            var f = format.Trim().ToLowerInvariant();
            if (f == "tgz") f = "tar.gz";
            return Formats.Contains(f) ? f
                : throw new ProviderException($"airvpn: --format {format} is not supported; use {string.Join(", ", Formats)}");
        }
        var name = output?.ToLowerInvariant() ?? "";
        return name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal) ? "tar.gz"
            : name.EndsWith(".tar", StringComparison.Ordinal) ? "tar"
            : "zip";
    }

    public static string DefaultName(string format) => $"airvpn-configs.{format}";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(Stream destination, string format, IReadOnlyList<GeneratedFile> files)
    {
        switch (format)
        {
            case "zip":
                using (var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true))
                {
                    foreach (var file in files)
                    {
                        var entry = zip.CreateEntry(file.Name, CompressionLevel.Optimal);
                        entry.ExternalAttributes = (int)Private << 16;
                        using var stream = entry.Open();
                        stream.Write(file.Content);
                    }
                }
                break;
            case "tar":
                WriteTar(destination, files);
                break;
            case "tar.gz":
                using (var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true))
                    WriteTar(gzip, files);
                break;
            default:
                throw new ProviderException($"airvpn: --format {format} is not supported; use {string.Join(", ", Formats)}");
        }
    }

    private static void WriteTar(Stream destination, IReadOnlyList<GeneratedFile> files)
    {
        using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var file in files)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, file.Name)
            {
                Mode = Private,
                ModificationTime = DateTimeOffset.UtcNow,
                DataStream = new MemoryStream(file.Content, writable: false),
            };
            tar.WriteEntry(entry);
        }
    }
}
