using System.CommandLine;
using System.Globalization;
using Wafer.Hub;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer rm NAME…</c>: deletes models from the Hugging Face cache (each blob once no snapshot links to it) or
/// from <c>$WAFER_MODELS</c>. An Ollama store's models are Ollama's to remove (<c>ollama rm</c>), and files outside these
/// folders are the user's: both are refused with the command that does it.</summary>
internal static class RemoveCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("NAME") { Description = "Model names as wafer ls prints them", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove models from the Hugging Face cache or $WAFER_MODELS (names as wafer ls prints them)") { names };
        command.SetAction(r => Run(r.GetValue(names)!));
        return command;
    }

    private static int Run(string[] names)
    {
        var catalog = ModelNames.Catalog();
        var models = catalog.List();
        // Every name is checked before anything is deleted: a typo in the second name removes nothing.
        var chosen = names.Select(name => Find(catalog, models, name)).ToList();
        foreach (var model in chosen)
        {
            long freed = model.Source switch
            {
                ModelCatalog.HuggingFace => catalog.Hub.Remove(model.Repository!, model.RepositoryFiles!),
                _ => model.Paths.Sum(p =>
                {
                    long length = new FileInfo(p).Length;
                    File.Delete(p);
                    return length;
                }),
            };
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"removed {model.Name} ({model.Source}): {ListCommand.Size(freed)} freed"));
        }
        return 0;
    }

    private static LocalModelEntry Find(ModelCatalog catalog, IReadOnlyList<LocalModelEntry> models, string name)
    {
        var model = models.FirstOrDefault(m => m.Name == name)
            ?? (catalog.Resolve(name) is { } path ? models.FirstOrDefault(m => m.Paths.Contains(path)) : null);
        if (model == null)
        {
            if (File.Exists(name))
                throw new ArgumentException($"'{name}' is a file outside the model caches; wafer rm removes only what wafer ls lists: delete it yourself if you mean to");
            throw new ArgumentException($"no model '{name}' on this machine; wafer ls lists the names");
        }
        if (model.Source == ModelCatalog.Ollama)
            throw new ArgumentException($"'{model.Name}' is in Ollama's store ({catalog.OllamaStore.Root}), whose blobs Ollama shares between models; remove it with: ollama rm {model.Name}");
        return model;
    }
}
