namespace Tunmux.Plugins.Common;

/// <summary>
/// One cache file in the plugin's cache folder (no secrets): read with its age, replaced
/// atomically (temporary file and rename) so a reader never sees half a file.
/// </summary>
internal sealed class CachedFile(string directory, string fileName, TimeProvider time)
{
    public string FilePath => Path.Combine(directory, fileName);

    public bool Exists => File.Exists(FilePath);

    /// <summary>How long ago the file was written; zero when its time lies in the future.</summary>
    public TimeSpan Age
    {
        get
        {
            var age = time.GetUtcNow() - File.GetLastWriteTimeUtc(FilePath);
            return age < TimeSpan.Zero ? TimeSpan.Zero : age;
        }
    }

    public byte[] Read() => File.ReadAllBytes(FilePath);

    public void Write(byte[] content)
    {
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{fileName}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, FilePath, overwrite: true);
    }

    /// <summary>Marks the cached copy as fresh again (the server said it has not changed).</summary>
    public void Touch() => File.SetLastWriteTimeUtc(FilePath, time.GetUtcNow().UtcDateTime);

    public void Delete()
    {
        if (File.Exists(FilePath)) File.Delete(FilePath);
    }

    public static string Describe(TimeSpan age) =>
        age.TotalMinutes < 1 ? "under a minute" : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min" : age.TotalDays < 1 ? $"{age.TotalHours:0.#} h" : $"{age.TotalDays:0.#} days";
}
