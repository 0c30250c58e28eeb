using System.Text;

namespace Wafer.Cli;

/// <summary>Writes text to stdout as UTF-8 bytes, exactly, whatever the console encoding is.</summary>
internal static class RawStdout
{
    public static void Write(string text)
    {
        Console.Out.Flush();
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
        stdout.Flush();
    }
}
