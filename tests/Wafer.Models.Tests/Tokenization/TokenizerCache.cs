using System.Collections.Concurrent;
using Wafer.Models.Gguf;
using Wafer.Models.Tokenization;

namespace Wafer.Models.Tests.Tokenization;

/// <summary>Loads each fixture vocabulary once per test run; large vocabularies take a moment to index.</summary>
internal static class TokenizerCache
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Cache = new();

    /// <summary>The tokenizer of a fixture GGUF (path relative to the fixtures root); skips the test when absent.</summary>
    public static Tokenizer Get(string relativePath)
    {
        string path = Fixtures.Path(relativePath);
        return Cache.GetOrAdd(path, p => new Lazy<Tokenizer>(() => Load(p))).Value;
    }

    private static Tokenizer Load(string path)
    {
        using var file = GgufFile.Open(path);
        return Tokenizer.FromMetadata(file.Metadata, System.IO.Path.GetFileName(path));
    }
}
