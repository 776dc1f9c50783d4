namespace Tunmux.TestSupport;

/// <summary>A temporary folder removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "tunmux-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
