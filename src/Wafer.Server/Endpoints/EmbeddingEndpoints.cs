using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wafer.Engine;
using Wafer.Models;
using Wafer.Models.Tokenization;
using Wafer.Server.Api;
using Wafer.Server.Hosting;

namespace Wafer.Server.Endpoints;

/// <summary><c>POST /v1/embeddings</c>, as OpenAI answers it: one vector per input, by the BERT-family embedding model
/// (<c>--embed-model</c>) when the request names it (or there is one and it names no other), else by the served model
/// (mean-pooled final hidden states). Both run on the engine thread between generation steps.</summary>
/// <remarks>
/// input: a string, a list of strings, a list of token ids, or a list of such lists (at most 2,048 inputs); encoding_format:
/// "float" (default) or "base64" (little-endian float32); dimensions: keep the first N and renormalise (1 … the model's);
/// user: accepted. 400 names the input: <c>input[3]</c> when it is empty, over the context or outside the vocabulary.
/// </remarks>
internal static class EmbeddingEndpoints
{
    private const int MaxInputs = 2048;

    public static async Task EmbeddingsAsync(HttpContext http, ServerContext server)
    {
        using var body = await RequestBody.ReadAsync(http, server.Options.MaxBodyBytes).ConfigureAwait(false);
        using var served = await ModelAccess.AcquireAsync(http, server, body.RootElement).ConfigureAwait(false);
        var model = served.Model.Model;
        using var generation = ServerTracing.StartGeneration(http, served.Name);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ApiException(400, "the request body must be a JSON object");
        string? name = JsonFields.String(root, "model");
        var encoder = model.Encoder;
        bool useEncoder = encoder != null && (name == null || name == encoder.Value.Name);
        if (!useEncoder && name != null && name != model.Name)
        {
            string names = encoder is { } e ? $"'{e.Name}' (embeddings) and '{model.Name}'" : $"'{model.Name}'";
            throw new ApiException(404, $"The model '{name}' does not exist; this server serves {names}", param: "model", code: "model_not_found");
        }
        var tokenizer = useEncoder ? encoder!.Value.Tokenizer : model.Tokenizer;
        int context = useEncoder ? encoder!.Value.Model.ContextLength : model.Engine.ContextLength;
        int vocabulary = useEncoder ? encoder!.Value.Model.VocabSize : model.Tokenizer.VocabularySize;
        int available = useEncoder ? encoder!.Value.Model.EmbeddingLength : model.Model.Config.EmbeddingLength;
        string format = JsonFields.String(root, "encoding_format") ?? "float";
        if (format is not ("float" or "base64"))
            throw ApiException.BadParameter("encoding_format", $"'encoding_format' must be 'float' or 'base64', got '{format}'");
        int dimensions = (int)(JsonFields.Integer(root, "dimensions", 1, available) ?? available);
        JsonFields.String(root, "user");
        var inputs = Inputs(root, tokenizer, context, vocabulary);

        var ct = http.RequestAborted;
        float[][] vectors;
        if (useEncoder) vectors = await model.Engine.EmbedAsync(inputs, encoder!.Value.Model, ct).ConfigureAwait(false); // batched
        else
        {
            vectors = new float[inputs.Count][];
            for (int i = 0; i < inputs.Count; i++) vectors[i] = await model.Engine.EmbedAsync(inputs[i], ct).ConfigureAwait(false);
        }
        for (int i = 0; i < vectors.Length; i++) vectors[i] = Wafer.Engine.Chat.WaferEmbeddingGenerator.Truncate(vectors[i], dimensions);
        int tokens = inputs.Sum(t => t.Count);
        string modelName = useEncoder ? encoder!.Value.Name : model.Name;
        await GenerationEndpoints.WriteJsonAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (int i = 0; i < vectors.Length; i++)
            {
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (format == "base64") w.WriteBase64String("embedding", MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (float f in vectors[i]) w.WriteNumberValue(f);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("model", modelName);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", tokens);
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>The inputs as token lists, each checked: not empty, within the context, ids inside the vocabulary.</summary>
    internal static List<IReadOnlyList<int>> Inputs(JsonElement root, Tokenizer tokenizer, int context, int vocabulary)
    {
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
            throw ApiException.BadParameter("input", "'input' is required: a string, an array of strings, an array of token ids, or an array of such arrays");
        var result = new List<IReadOnlyList<int>>();
        var names = new List<string>();   // how each input is named in errors
        if (input.ValueKind == JsonValueKind.String)
        {
            result.Add(Encode(input.GetString()!, tokenizer, "input"));
            names.Add("input");
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            int count = input.GetArrayLength();
            if (count == 0) throw ApiException.BadParameter("input", "'input' is an empty array");
            if (count > MaxInputs) throw ApiException.BadParameter("input", $"'input' has {count} items; at most {MaxInputs} per request");
            if (input[0].ValueKind == JsonValueKind.Number)
            {
                result.Add(Ids(input, "input", vocabulary));
                names.Add("input");
            }
            else
            {
                int i = 0;
                foreach (var item in input.EnumerateArray())
                {
                    string where = $"input[{i++}]";
                    names.Add(where);
                    result.Add(item.ValueKind switch
                    {
                        JsonValueKind.String => Encode(item.GetString()!, tokenizer, where),
                        JsonValueKind.Array => Ids(item, where, vocabulary),
                        _ => throw ApiException.BadParameter(where, $"'{where}' must be a string or an array of token ids"),
                    });
                }
            }
        }
        else throw ApiException.BadParameter("input", "'input' must be a string, an array of strings, an array of token ids, or an array of such arrays");
        for (int i = 0; i < result.Count; i++)
        {
            string where = names[i];
            if (result[i].Count == 0) throw ApiException.BadParameter(where, $"'{where}' has no tokens");
            if (result[i].Count > context)
                throw new ApiException(400, $"'{where}' has {result[i].Count} tokens; the embedding model takes at most {context}", param: where, code: "context_length_exceeded");
        }
        return result;
    }

    private static IReadOnlyList<int> Encode(string text, Tokenizer tokenizer, string where)
    {
        if (text.Length == 0) throw ApiException.BadParameter(where, $"'{where}' is an empty string (OpenAI refuses it too)");
        try
        {
            return tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
        }
        catch (UntokenizableTextException e)
        {
            throw ApiException.BadParameter(where, e.Message);
        }
    }

    private static int[] Ids(JsonElement array, string where, int vocabulary)
    {
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id) || (uint)id >= (uint)vocabulary)
                throw ApiException.BadParameter(where, $"'{where}' must hold token ids in 0…{vocabulary - 1}; item {i} is {item.GetRawText()}");
            ids[i++] = id;
        }
        return ids;
    }
}
