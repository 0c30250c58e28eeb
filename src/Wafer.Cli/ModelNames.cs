using Wafer.Cli.Commands;
using Wafer.Hub;

namespace Wafer.Cli;

/// <summary>Model names wherever a GGUF path is accepted: a file; a model already on this machine (the Hugging Face cache,
/// <c>$WAFER_MODELS</c>, an Ollama store: <see cref="ModelCatalog"/>); else a hub name (<c>org/name[:QUANT]</c>) pulled
/// with a progress bar unless <c>HF_HUB_OFFLINE</c> is set; else a one-line error that says where it looked.</summary>
internal static class ModelNames
{
    /// <summary>The catalog this process's environment describes.</summary>
    public static ModelCatalog Catalog() => ModelCatalog.FromEnvironment(Environment.GetEnvironmentVariable, ServeCommand.ModelCacheDirectory());

    /// <summary>The file <paramref name="text"/> names; <paramref name="what"/> names the argument in errors.</summary>
    public static string Resolve(string text, string what = "MODEL")
    {
        if (File.Exists(text)) return text; // a path needs no catalog (nor HF_* variables that parse)
        var catalog = Catalog();
        if (catalog.Resolve(text) is { } path) return path;
        bool looksLikePath = text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && Path.GetDirectoryName(text) is var dir && (string.IsNullOrEmpty(dir) || Directory.Exists(dir));
        if (!looksLikePath && ModelReference.TryParse(text) is { } reference)
        {
            var settings = HubSettings.FromEnvironment();
            if (settings.Offline)
                throw new HubException($"{what} '{text}' is not in the Hugging Face cache ({settings.CacheDirectory}) and HF_HUB_OFFLINE is set: unset it to download it, or list what is here with: wafer ls");
            Console.Error.WriteLine($"wafer: {text} is not on this machine; pulling it from {settings.Endpoint}");
            return PullCommand.PullAsync(reference, "main", CancellationToken.None).GetAwaiter().GetResult().Path;
        }
        throw new FileNotFoundException($"{what} '{text}' does not exist: it is no file, and no model of that name is in the Hugging Face cache ({catalog.Hub.Root}), "
            + $"{ServeCommand.ModelCacheDirectory()} or the Ollama store ({catalog.OllamaStore.Root}); list the models here with: wafer ls, or pull one: wafer pull org/name:Q4_K_M");
    }
}
