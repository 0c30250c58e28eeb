using System.CommandLine;

namespace Wafer.Cli.Commands.Bench;

/// <summary><c>wafer bench …</c>: the benchmark verbs.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks: the engine on this machine, or any OpenAI-compatible server");
        foreach (var sub in Subcommands()) command.Add(sub);
        return command;
    }

    // One line per benchmark verb.
    private static IEnumerable<Command> Subcommands()
    {
        yield return BenchEngineCommand.Create();
        yield return BenchMemoryCommand.Create();
        yield return BenchTokenizerCommand.Create();
        yield return BenchGrammarCommand.Create();
        yield return BenchRetrievalCommand.Create();
        yield return BenchServeCommand.Create();
        yield return BenchSoakCommand.Create();
        yield return BenchReportCommand.Create();
        yield return BenchFakeServerCommand.Create();
    }
}
