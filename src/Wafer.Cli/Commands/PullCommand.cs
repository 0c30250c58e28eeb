using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wafer.Hub;

namespace Wafer.Cli.Commands;

/// <summary><c>wafer pull REPO[:QUANT|/FILE.gguf] [--revision R]</c>: downloads a GGUF model from the Hugging Face hub
/// (or the mirror in <c>HF_ENDPOINT</c>) into the shared HF cache, reusing what is there, and prints the path to serve.</summary>
internal static class PullCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("MODEL")
        {
            Description = "org/name (picks Q4_K_M, or the only GGUF file), org/name:QUANT (e.g. Q8_0, case-insensitive) or org/name/FILE.gguf",
        };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit", DefaultValueFactory = _ => "main" };
        var command = new Command("pull", "Download a GGUF model from the Hugging Face hub into the HF cache (HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE)") { reference, revision };
        command.SetAction((r, ct) => Run(r.GetValue(reference)!, r.GetValue(revision)!, ct));
        return command;
    }

    private static async Task<int> Run(string text, string revision, CancellationToken cancellationToken)
    {
        var reference = ModelReference.TryParse(text)
            ?? throw new ArgumentException($"MODEL: '{text}' is not a hub model name; write org/name, org/name:Q4_K_M or org/name/file.gguf");
        var result = await PullAsync(reference, revision, cancellationToken).ConfigureAwait(false);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Reference} at {result.Commit[..Math.Min(12, result.Commit.Length)]}: {result.BytesDownloaded:N0} bytes downloaded{(result.BytesDownloaded == 0 ? " (all in the cache)" : "")}; serve it with: wafer serve {result.Path}"));
        Console.Out.WriteLine(result.Path);
        return 0;
    }

    /// <summary>Pulls <paramref name="reference"/> with a progress bar per file on stderr (bytes, speed, time left).</summary>
    internal static async Task<PulledModel> PullAsync(ModelReference reference, string revision, CancellationToken cancellationToken)
    {
        var settings = HubSettings.FromEnvironment();
        using var client = new HubClient(settings);
        var puller = new ModelPuller(settings, client);
        PulledModel? pulled = null;
        // Progress goes to stderr, so `wafer serve "$(wafer pull …)"` gets only the path on stdout.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new InlineProgress<DownloadProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.File, out var task))
                        tasks[p.File] = task = ctx.AddTask(Path.GetFileName(p.File), maxValue: Math.Max(1, p.Total));
                    task.Value = p.Done;
                });
                pulled = await puller.PullAsync(reference, revision, progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return pulled!;
    }
}
