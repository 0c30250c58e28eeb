using System.CommandLine;
using Wafer.Cli.Commands;
using Wafer.Cli.Commands.Bench;

namespace Wafer.Cli;

/// <summary>The <c>wafer</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen verb; user errors end in one line on stderr and exit code 1.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("Wafer: an inference-first LLM serving system for .NET")
        {
            RunCommand.Create(),
            ServeCommand.Create(),
            RouteCommand.Create(),
            InspectCommand.Create(),
            LogitsCommand.Create(),
            PerplexityCommand.Create(),
            EvalCommand.Create(),
            FidelityCommand.Create(),
            BenchCommand.Create(),
            QuantizeCommand.Create(),
            TokenizeCommand.Create(),
            DetokenizeCommand.Create(),
            TemplateCommand.Create(),
            IndexCommand.Create(),
            PullCommand.Create(),
            ListCommand.Create(),
            RemoveCommand.Create(),
        };
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        return CliErrors.Guard(() => root.Parse(args).Invoke(invocation));
    }
}
