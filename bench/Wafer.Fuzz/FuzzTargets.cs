using System.Text;
using System.Text.Json;
using Wafer.Engine.Chat;
using Wafer.Models;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Constraints;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;
using Wafer.Router.Configuration;
using Wafer.Server.Api;
using Wafer.Server.Endpoints;

namespace Wafer.Fuzz;

/// <summary>One entry per fuzz target: the input's bytes go where bytes enter Wafer, the documented bad-input exceptions are
/// swallowed, anything else escapes and is a crash to AFL.</summary>
/// <remarks>The same oracles as the seeded harness in tests/*/Fuzz: a bad model file is a GgufFormatException,
/// InvalidDataException, NotSupportedException or TemplateException; a bad template a TemplateException; a bad router.json an
/// InvalidDataException; a bad request body a 4xx ApiException or an InvalidParameterException.</remarks>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["gguf"] = Gguf,
        ["template"] = Template,
        ["tokenizer"] = TokenizerText,
        ["router-config"] = RouterConfig,
        ["http"] = Http,
    };

    private static readonly Lazy<string> DefaultModel = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wafer.slnx"))) return Path.Combine(dir.FullName, "models", "stories260K-Q8_0.gguf");
        throw new InvalidOperationException("the repository root (Wafer.slnx) is not above the fuzz binary");
    });

    private static readonly Lazy<(Tokenizer Tokenizer, ChatTemplate Template)> Stories = new(() =>
    {
        using var file = GgufFile.Open(DefaultModel.Value);
        return (Tokenizer.FromMetadata(file.Metadata, "stories260K-Q8_0.gguf"), ChatTemplateResolver.FromModel(file.Metadata, "stories260K-Q8_0.gguf"));
    });

    private static readonly string ScratchFile = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"wafer-fuzz-{Environment.ProcessId}.gguf");

    public static string ModelPath => DefaultModel.Value;

    private static void Gguf(byte[] input)
    {
        File.WriteAllBytes(ScratchFile, input);
        try
        {
            using var file = GgufFile.Open(ScratchFile);
            foreach (var t in file.Tensors)
                if (t.Offset < 0 || t.ByteCount < 0 || file.DataOffset + t.Offset + t.ByteCount > file.FileBytes)
                    throw new InvalidOperationException($"tensor '{t.Name}' lies outside the file");
            var tokenizer = Tokenizer.FromMetadata(file.Metadata, "fuzz.gguf");
            _ = tokenizer.Decode(tokenizer.Encode("Once upon a time, <s> Lily 🐕"));
            _ = ChatTemplateResolver.FromModel(file.Metadata, "fuzz.gguf").Render(Context("""[{"role":"user","content":"hi"}]"""));
        }
        catch (Exception e) when (e is GgufFormatException or InvalidDataException or NotSupportedException or TemplateException or UntokenizableTextException)
        {
        }
    }

    /// <summary>The template source, then (after a NUL byte, when there is one) the conversation as JSON.</summary>
    private static void Template(byte[] input)
    {
        int split = Array.IndexOf(input, (byte)0);
        string source = Encoding.UTF8.GetString(split < 0 ? input : input.AsSpan(0, split));
        string messages = split < 0 ? """[{"role":"system","content":"s"},{"role":"user","content":"hi"},{"role":"assistant","content":"a"}]""" : Encoding.UTF8.GetString(input.AsSpan(split + 1));
        ChatTemplateContext context;
        try
        {
            context = Context(messages);
        }
        catch (JsonException)
        {
            return;
        }
        try
        {
            _ = ChatTemplate.Parse(source).Render(context);
        }
        catch (TemplateException)
        {
        }
    }

    private static ChatTemplateContext Context(string messages)
    {
        using var document = JsonDocument.Parse(messages);
        return new ChatTemplateContext { Messages = document.RootElement.Clone(), BosToken = "<s>", EosToken = "</s>" };
    }

    private static void TokenizerText(byte[] input)
    {
        var tokenizer = Stories.Value.Tokenizer;
        bool special = input.Length > 0 && (input[0] & 1) != 0;
        string text = Encoding.UTF8.GetString(input);
        try
        {
            var ids = tokenizer.Encode(text, addSpecial: special, parseSpecial: special);
            _ = tokenizer.Decode(ids);
        }
        catch (UntokenizableTextException)
        {
        }
        var decoder = tokenizer.CreateIncrementalDecoder();
        for (int i = 0; i + 1 < input.Length; i += 2) _ = decoder.Append((input[i] | (input[i + 1] << 8)) % tokenizer.VocabularySize);
        _ = decoder.Flush();
    }

    private static void RouterConfig(byte[] input)
    {
        try
        {
            _ = RouterConfigLoader.Parse(Encoding.UTF8.GetString(input), "router.json");
        }
        catch (InvalidDataException)
        {
        }
    }

    /// <summary>The first byte picks the endpoint (chat, completions, Responses, Messages, embeddings); the rest is the body.</summary>
    private static void Http(byte[] input)
    {
        if (input.Length == 0) return;
        var (tokenizer, template) = Stories.Value;
        var model = new GenerationRequestParser.Model("stories260K", tokenizer, new ChatPromptRenderer(template, tokenizer));
        try
        {
            using var document = RequestBody.Parse(input.AsMemory(1));
            var root = document.RootElement;
            switch (input[0] % 5)
            {
                case 0: _ = GenerationRequestParser.ParseChat(root, model); break;
                case 1: _ = GenerationRequestParser.ParseCompletion(root, model); break;
                case 2: _ = GenerationRequestParser.ParseChat(ResponsesRequest.ToChat(root), model); break;
                case 3: _ = GenerationRequestParser.ParseChat(MessagesRequest.ToChat(root), model); break;
                default:
                    if (root.ValueKind == JsonValueKind.Object) _ = EmbeddingEndpoints.Inputs(root, tokenizer, 512, tokenizer.VocabularySize);
                    break;
            }
        }
        catch (Exception e) when (e is ApiException { Status: >= 400 and < 500 } or InvalidParameterException)
        {
        }
    }
}
