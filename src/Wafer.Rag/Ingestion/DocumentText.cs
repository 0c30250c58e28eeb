using AngleSharp.Html.Parser;
using UglyToad.PdfPig;

namespace Wafer.Rag.Ingestion;

/// <summary>A document's text, with the page each character came from (PDFs; 0 elsewhere) and its title.</summary>
/// <param name="Text">The text, blocks separated by blank lines.</param>
/// <param name="Title">The first heading or the HTML title, else the file name.</param>
/// <param name="PageStarts">For PDFs, the offset in <paramref name="Text"/> where page i + 1 begins; empty otherwise.</param>
public sealed record DocumentText(string Text, string Title, IReadOnlyList<int> PageStarts)
{
    /// <summary>The extensions ingested, lower case.</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".txt", ".md", ".markdown", ".html", ".htm", ".pdf" };

    /// <summary>The page (1-based) of the character at <paramref name="offset"/>, or 0 for documents without pages.</summary>
    public int PageAt(int offset)
    {
        if (PageStarts.Count == 0) return 0;
        int page = 1;
        for (int i = 1; i < PageStarts.Count && PageStarts[i] <= offset; i++) page = i + 1;
        return page;
    }

    /// <summary>Extracts the text of <paramref name="path"/>: plain text and Markdown as they are, HTML through AngleSharp
    /// (script, style and template content dropped, block elements as paragraphs), PDF through PdfPig (page by page).</summary>
    /// <exception cref="NotSupportedException">The extension is not one of <see cref="Extensions"/>.</exception>
    public static DocumentText Read(string path, byte[] bytes)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        string name = Path.GetFileName(path);
        switch (extension)
        {
            case ".txt" or ".md" or ".markdown":
            {
                string text = System.Text.Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);
                string? heading = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#').Trim();
                return new DocumentText(text, string.IsNullOrEmpty(heading) ? name : heading, []);
            }
            case ".html" or ".htm":
            {
                var document = new HtmlParser().ParseDocument(System.Text.Encoding.UTF8.GetString(bytes));
                foreach (var element in document.QuerySelectorAll("script, style, template, noscript").ToList()) element.Remove();
                var blocks = new List<string>();
                foreach (var element in document.Body?.QuerySelectorAll("h1, h2, h3, h4, h5, h6, p, li, pre, td, th, blockquote, dt, dd") ?? Enumerable.Empty<AngleSharp.Dom.IElement>())
                {
                    if (element.QuerySelector("p, li, pre, blockquote") != null) continue; // its children are blocks of their own
                    string text = System.Text.RegularExpressions.Regex.Replace(element.TextContent, @"\s+", " ").Trim();
                    if (text.Length == 0) continue;
                    blocks.Add(element.LocalName.Length == 2 && element.LocalName[0] == 'h' && char.IsDigit(element.LocalName[1])
                        ? new string('#', element.LocalName[1] - '0') + " " + text : text);
                }
                string title = document.Title is { Length: > 0 } t ? t.Trim() : blocks.FirstOrDefault(b => b.StartsWith('#'))?.TrimStart('#').Trim() ?? name;
                return new DocumentText(string.Join("\n\n", blocks), title, []);
            }
            case ".pdf":
            {
                using var pdf = PdfDocument.Open(bytes);
                var text = new System.Text.StringBuilder();
                var starts = new List<int>();
                foreach (var page in pdf.GetPages())
                {
                    if (text.Length > 0) text.Append("\n\n");
                    starts.Add(text.Length);
                    text.Append(string.Join(" ", page.GetWords().Select(w => w.Text)));
                }
                string title = pdf.Information.Title is { Length: > 0 } pt ? pt : name;
                return new DocumentText(text.ToString(), title, starts);
            }
            default:
                throw new NotSupportedException($"'{name}': {extension} files are not ingested; supported: {string.Join(", ", Extensions.Order())}");
        }
    }
}
