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

    public static Option<bool> NoRepack() => new("--no-repack")
    {
        Description = "Multiply from the GGUF layout as mapped instead of repacking Q8_0/Q4_0/Q5_0 weights into 8 interleaved rows at load (slower prompts, less memory)",
    };
}
