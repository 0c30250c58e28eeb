using Spectre.Console;
using Wafer.Bench;

namespace Wafer.Cli.Commands.Bench;

/// <summary>Runs every load level of a benchmark behind a Spectre.Console progress bar (one line per level when the console is not interactive).</summary>
internal static class BenchServeProgress
{
    public static async Task<IReadOnlyList<RunSummary>> RunLevelsAsync(IAnsiConsole console, BenchServeRunner runner, BenchServeOptions options,
        CancellationToken cancellationToken)
    {
        var runs = new List<RunSummary>();
        if (!console.Profile.Capabilities.Interactive)
        {
            for (int i = 0; i < options.Levels.Count; i++)
            {
                var run = await runner.RunLevelAsync(i, null, cancellationToken).ConfigureAwait(false);
                console.MarkupLine(Markup.Escape($"{options.Levels[i]}: {run.RequestsCompleted} ok, {run.Errors} errors in {run.Result.DurationSeconds:0.00} s"));
                runs.Add(run);
            }
            return runs;
        }
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = options.Levels.Select(l => ctx.AddTask(l.ToString(), autoStart: false, maxValue: options.RequestCount)).ToList();
                for (int i = 0; i < tasks.Count; i++)
                {
                    var task = tasks[i];
                    task.StartTask();
                    runs.Add(await runner.RunLevelAsync(i, new InlineProgress<int>(_ => task.Increment(1)), cancellationToken).ConfigureAwait(false));
                    task.StopTask();
                }
            }).ConfigureAwait(false);
        return runs;
    }
}
