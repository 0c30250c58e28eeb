using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using Wafer.Rag.Ingestion;

namespace Wafer.Rag.Tests;

/// <summary>Chunking by structure within a token budget, and text out of HTML (AngleSharp) and PDF (PdfPig) files.</summary>
public class ChunkingTests
{
    private static int Words(string text) => text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public void Split_BudgetHeadingsOverlapAndSpans()
    {
        string text = "# Intro\n\nshort one.\n\n" + string.Join("\n\n", Enumerable.Range(0, 12).Select(i => string.Join(" ", Enumerable.Repeat($"w{i}", 5)))) +
            "\n\n## Second\n\nlast words here.";
        var chunks = Chunker.Split(text, 24, Words);
        Assert.All(chunks, c => Assert.True(Words(c.Text) <= 24, $"{Words(c.Text)} words: {c.Text}"));
        Assert.Equal("Intro", chunks[0].Heading);
        Assert.Equal("Second", chunks[^1].Heading);
        Assert.StartsWith("## Second", chunks[^1].Text);                       // a heading starts a chunk
        Assert.All(chunks, c => Assert.StartsWith(c.Text.Split("\n\n")[0], text[c.Start..])); // spans point into the text
        Assert.All(chunks, c => Assert.EndsWith(c.Text.Split("\n\n")[^1], text[..c.End]));
        Assert.Contains(Enumerable.Range(1, chunks.Count - 1), i => chunks[i].Text.StartsWith(chunks[i - 1].Text.Split("\n\n")[^1], StringComparison.Ordinal)
            && !chunks[i].Text.StartsWith('#'));                                 // some chunk repeats the last block before it
        var all = string.Concat(chunks.Select(c => c.Text));
        for (int i = 0; i < 12; i++) Assert.Contains($"w{i}", all);              // nothing lost
    }

    [Fact]
    public void Split_LongParagraph_CutAtSentencesThenWords()
    {
        string text = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"Sentence {i} has five words.")) + " " + string.Join(" ", Enumerable.Repeat("x", 100));
        var chunks = Chunker.Split(text, 30, Words);
        Assert.All(chunks, c => Assert.True(Words(c.Text) <= 30));
        Assert.Contains(chunks, c => c.Text.EndsWith("words.", StringComparison.Ordinal));
        Assert.Equal(40 * 5 + 100, chunks.Sum(c => Words(c.Text)) - Overlap(chunks));
    }

    private static int Overlap(List<Chunk> chunks) =>
        Enumerable.Range(1, chunks.Count - 1).Sum(i => chunks[i].Start < chunks[i - 1].End ? Words(chunks[i].Text.Split("\n\n")[0]) : 0);

    [Fact]
    public void Html_ScriptsDroppedBlocksKept()
    {
        const string html = """
            <html><head><title>The Title</title><style>p { color: red }</style><script>var secret = 1;</script></head>
            <body><h1>Heading one</h1><p>First <b>paragraph</b>.</p><ul><li>item a</li><li>item b</li></ul><script>alert(2)</script></body></html>
            """;
        var doc = DocumentText.Read("page.html", System.Text.Encoding.UTF8.GetBytes(html));
        Assert.Equal("The Title", doc.Title);
        Assert.Equal("# Heading one\n\nFirst paragraph.\n\nitem a\n\nitem b", doc.Text);
        Assert.DoesNotContain("secret", doc.Text);
    }

    [Fact]
    public void Pdf_TextPerPage()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        builder.AddPage(PageSize.A4).AddText("Alpha page one text", 12, new PdfPoint(25, 700), font);
        builder.AddPage(PageSize.A4).AddText("Beta page two text", 12, new PdfPoint(25, 700), font);
        var doc = DocumentText.Read("file.pdf", builder.Build());
        Assert.Contains("Alpha page one text", doc.Text);
        int beta = doc.Text.IndexOf("Beta", StringComparison.Ordinal);
        Assert.Equal(1, doc.PageAt(0));
        Assert.Equal(2, doc.PageAt(beta));
    }

    [Fact]
    public void Read_OtherExtension_NamesTheSupportedOnes()
    {
        var e = Assert.Throws<NotSupportedException>(() => DocumentText.Read("a.docx", []));
        Assert.Contains(".pdf", e.Message);
    }
}
