using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;

namespace Wafer.Cli;

/// <summary>Maps errors a user can cause to one line on stderr and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for errors in the user's input (bad file, bad argument).</summary>
    public const int UserError = 1;

    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"wafer: error: {OneLine(e.Message)}");
            return UserError;
        }
    }

    private static bool IsUserError(Exception e) => e is GgufFormatException or NotSupportedException or FileNotFoundException
        or DirectoryNotFoundException or ArgumentException or FormatException or IOException or UnauthorizedAccessException
        or InvalidDataException or TemplateException or Wafer.Hub.HubException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
