using System.CommandLine;

namespace Wafer.Cli;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("MODEL") { Description = "Path of a GGUF model file" };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "Worker threads, the calling thread included (default: one per physical core)",
        DefaultValueFactory = _ => 0,
    };
}
