using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wafer.Rag.Store;
using Wafer.Server.Hosting;

namespace Wafer.Server.Api;

/// <summary>One source put into the prompt: its number ([1], [2], …) and the chunk.</summary>
internal sealed record GroundingSource(int Number, SearchHit Hit)
{
    /// <summary>A stable id for the source file, in OpenAI's <c>file-…</c> shape (from its path).</summary>
    public string FileId => "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Hit.Path)))[..24];

    public string FileName => Path.GetFileName(Hit.Path);

    public string Url => new Uri(Hit.Path).AbsoluteUri;
}

/// <summary>A citation of a source in an answer: where its marker <c>[n]</c> stands in the text (start, end), or, when the
/// answer does not cite it, the whole answer (which the source was retrieved for) with <see cref="Cited"/> false.</summary>
internal sealed record Citation(GroundingSource Source, int StartIndex, int EndIndex, bool Cited);

/// <summary>Retrieval-augmented generation for a chat request: the chunks the knowledge base found for the request's question,
/// written into its last user message as numbered sources, and the citations of those sources in the answer.</summary>
/// <remarks>
/// Step 1: the query is <c>retrieval.query</c> or the last user message's text. Step 2: the knowledge base's best k chunks
/// (hybrid search, under the path filter). Step 3: the last user message becomes the sources, each "[n] title (file)" and its
/// text, an instruction to cite them as [n], then the question — so it passes through any chat template, with or without a
/// system role. Step 4 (after generation): every source is an annotation; its span is each "[n]" the answer writes, or the
/// whole answer where it writes none.
/// </remarks>
internal sealed class Grounding
{
    private Grounding(string query, IReadOnlyList<GroundingSource> sources)
    {
        Query = query;
        Sources = sources;
    }

    public string Query { get; }

    public IReadOnlyList<GroundingSource> Sources { get; }

    /// <summary>Searches for <paramref name="spec"/> and returns the grounding with the chat body to run: its messages with the
    /// sources in the last user message, without the <c>retrieval</c> field.</summary>
    public static async Task<(Grounding Grounding, JsonElement Chat)> CreateAsync(Retrieval retrieval, RetrievalSpec spec, JsonElement chat, CancellationToken ct)
    {
        if (!chat.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw ApiException.BadParameter("messages", "'messages' is required: an array of {\"role\", \"content\"} objects");
        int last = -1, i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.GetString() == "user") last = i;
            i++;
        }
        if (last < 0) throw ApiException.BadParameter("retrieval", "'retrieval' needs a user message to answer (its text is the search query)");
        string question = Text(messages[last]);
        string query = spec.Query ?? question;
        if (query.Trim().Length == 0) throw ApiException.BadParameter("retrieval", "the last user message has no text to search for; send 'retrieval.query'");
        var hits = await retrieval.SearchAsync(query, spec.K, spec.PathPrefix, ct).ConfigureAwait(false);
        var sources = hits.Select((h, n) => new GroundingSource(n + 1, h)).ToList();
        var grounding = new Grounding(query, sources);

        var body = new Dictionary<string, JsonElement>();
        foreach (var property in chat.EnumerateObject())
            if (property.Name != "retrieval") body[property.Name] = property.Value;
        var list = messages.EnumerateArray().Select(m => (object)m).ToList();
        var augmented = new Dictionary<string, JsonElement>();
        foreach (var property in messages[last].EnumerateObject()) augmented[property.Name] = property.Value;
        augmented["content"] = JsonSerializer.SerializeToElement(grounding.Prompt(question));
        list[last] = augmented;
        body["messages"] = JsonSerializer.SerializeToElement(list);
        return (grounding, JsonSerializer.SerializeToElement(body));
    }

    /// <summary>A prompt over the context explained: it holds the retrieved sources, so fewer of them would fit.</summary>
    public ApiException TooLong(ApiException error) => error.Code != "context_length_exceeded" ? error
        : new ApiException(error.Status, $"{error.Message} The prompt includes {Sources.Count} retrieved sources ({Sources.Sum(s => s.Hit.Text.Length)} characters): ask for fewer with a lower retrieval.k (or max_num_results), or index with smaller --chunk-tokens.",
            error.Type, error.Param, error.Code);

    /// <summary>The user message with the sources before the question.</summary>
    public string Prompt(string question)
    {
        if (Sources.Count == 0) return question;
        var text = new StringBuilder("Answer the question from these numbered sources, and cite each one you use as [n].\n\n");
        foreach (var s in Sources)
            text.Append('[').Append(s.Number).Append("] ").Append(s.Hit.Title).Append(" (").Append(s.FileName).Append(")\n").Append(s.Hit.Text.Trim()).Append("\n\n");
        return text.Append("Question: ").Append(question).ToString();
    }

    /// <summary>The citations of <paramref name="answer"/>: each "[n]" of a source, and the sources it does not cite.</summary>
    public List<Citation> Cite(string answer)
    {
        var citations = new List<Citation>();
        foreach (var s in Sources)
        {
            string marker = "[" + s.Number + "]";
            int found = 0;
            for (int at = answer.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = answer.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
            {
                citations.Add(new Citation(s, at, at + marker.Length, Cited: true));
                found++;
            }
            if (found == 0) citations.Add(new Citation(s, 0, answer.Length, Cited: false));
        }
        citations.Sort((a, b) => a.StartIndex != b.StartIndex ? a.StartIndex.CompareTo(b.StartIndex) : a.Source.Number.CompareTo(b.Source.Number));
        return citations;
    }

    /// <summary>The chat-completions annotation of a citation: OpenAI's <c>url_citation</c> (a <c>file://</c> URL, the title,
    /// the span in the answer), with the source's path, chunk, character span and page beside it.</summary>
    public static void WriteUrlCitation(Utf8JsonWriter w, Citation c)
    {
        w.WriteStartObject();
        w.WriteString("type", "url_citation");
        w.WriteStartObject("url_citation");
        w.WriteNumber("start_index", c.StartIndex);
        w.WriteNumber("end_index", c.EndIndex);
        w.WriteString("title", c.Source.Hit.Title);
        w.WriteString("url", c.Source.Url);
        WriteSource(w, c);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The Responses API annotation of a citation: OpenAI's <c>file_citation</c> (file id, file name, index in the
    /// text), with the source's path, chunk, span and page beside it.</summary>
    public static void WriteFileCitation(Utf8JsonWriter w, Citation c)
    {
        w.WriteStartObject();
        w.WriteString("type", "file_citation");
        w.WriteString("file_id", c.Source.FileId);
        w.WriteString("filename", c.Source.FileName);
        w.WriteNumber("index", c.Cited ? c.StartIndex : c.EndIndex);
        w.WriteString("title", c.Source.Hit.Title);
        WriteSource(w, c);
        w.WriteEndObject();
    }

    private static void WriteSource(Utf8JsonWriter w, Citation c)
    {
        var h = c.Source.Hit;
        w.WriteNumber("source_index", c.Source.Number);
        w.WriteBoolean("cited", c.Cited);
        w.WriteString("path", h.Path);
        w.WriteNumber("chunk_id", h.ChunkId);
        WriteSpan(w, h);
    }

    /// <summary>A chunk's <c>span</c>: its character start and end in the document's text, and its page (null without pages).</summary>
    public static void WriteSpan(Utf8JsonWriter w, SearchHit h)
    {
        w.WriteStartObject("span");
        w.WriteNumber("start", h.Start);
        w.WriteNumber("end", h.End);
        if (h.Page > 0) w.WriteNumber("page", h.Page);
        else w.WriteNull("page");
        w.WriteEndObject();
    }

    /// <summary>A message's text: its string content, or its text parts joined.</summary>
    private static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content)) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) return "";
        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) text.Append(t.GetString());
        return text.ToString();
    }
}
