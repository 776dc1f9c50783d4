using System.Text;

namespace Tunmux.Host.Output;

/// <summary>Aligned columns separated by two spaces, header first; the last column is not padded.</summary>
public static class TableWriter
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Count];
        foreach (var row in all)
            for (var i = 0; i < widths.Length && i < row.Count; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);

        var sb = new StringBuilder();
        foreach (var row in all)
        {
            sb.Clear();
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < row.Count ? row[i] : "";
                if (i == widths.Length - 1) sb.Append(cell);
                else sb.Append(cell.PadRight(widths[i])).Append("  ");
            }
            output.WriteLine(sb.ToString().TrimEnd());
        }
    }
}
