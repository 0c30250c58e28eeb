using Wafer.Models.Gguf;

namespace Wafer.Models.ChatTemplates;

/// <summary>Finds the chat template to use: a <c>.jinja</c> file, a built-in name, or the model's own (ChatML when it has none).</summary>
/// <remarks>
/// The same rule serves <c>wafer template --template</c> and the server's <c>--chat-template</c>:
/// a value that names a built-in (case-insensitive) is that built-in; anything else is a file path.
/// </remarks>
public static class ChatTemplateResolver
{
    private static readonly Dictionary<string, Lazy<ChatTemplate>> BuiltIns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["chatml"] = new(() => ChatTemplate.ChatMl),
        ["llama2"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Llama2)),
        ["llama3"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Llama3)),
        ["mistral"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Mistral)),
        ["gemma"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Gemma)),
        ["phi3"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Phi3)),
        ["qwen"] = new(() => ChatTemplate.Parse(BuiltInChatTemplates.Qwen)),
    };

    /// <summary>The built-in template names, in a stable order.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = [.. BuiltIns.Keys];

    /// <summary>Whether <paramref name="name"/> is a built-in template name.</summary>
    public static bool IsBuiltIn(string name) => BuiltIns.ContainsKey(name);

    /// <summary>The built-in template <paramref name="fileOrName"/>, or the template in that file.</summary>
    /// <exception cref="FileNotFoundException">Neither a built-in name nor an existing file.</exception>
    /// <exception cref="TemplateException">The file is not a valid template; the message names the file, line and column.</exception>
    public static ChatTemplate Resolve(string fileOrName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrName);
        if (BuiltIns.TryGetValue(fileOrName, out var builtIn)) return builtIn.Value;
        if (!File.Exists(fileOrName))
        {
            throw new FileNotFoundException(
                $"chat template '{fileOrName}' is neither a file that exists nor a built-in name; pass a .jinja file or one of: {string.Join(", ", BuiltInNames)}",
                fileOrName);
        }

        return ParseFile(fileOrName, File.ReadAllText(fileOrName));
    }

    /// <summary>The template stored in a GGUF file's metadata (<c>tokenizer.chat_template</c>), or ChatML when it has none, as llama.cpp falls back.</summary>
    /// <param name="metadata">The model's metadata.</param>
    /// <param name="fileName">The model file's name, used in error messages.</param>
    public static ChatTemplate FromModel(GgufMetadata metadata, string fileName)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string? source = metadata.GetStringOrDefault(GgufNames.ChatTemplate);
        return string.IsNullOrEmpty(source) ? ChatTemplate.ChatMl : ParseFile($"{fileName} ({GgufNames.ChatTemplate})", source);
    }

    private static ChatTemplate ParseFile(string origin, string source)
    {
        try
        {
            return ChatTemplate.Parse(source);
        }
        catch (TemplateException e)
        {
            throw new TemplateException($"'{origin}': {e.Message}; fix the template or choose another", e);
        }
    }
}
