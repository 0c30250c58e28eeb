using System.Text.RegularExpressions;
using Wafer.Tests;

namespace Wafer.Cli.Tests.Commands;

/// <summary><c>--kv-type</c>, <c>-ctk</c> and <c>-ctv</c> on <c>wafer serve</c> and <c>wafer run</c>: the start line's capacity follows
/// the type (F16 unless told), a type the model cannot take is one line, a name that is no type too.</summary>
public class KvTypeCommandTests
{
    private static async Task<long> CapacityAsync(params string[] kvArgs)
    {
        await using var server = await WaferServerProcess.ServeWithAsync(null, [Repository.DefaultModel, "--kv-cache-mb", "8", "--ctx", "256", .. kvArgs]);
        var m = Regex.Match(server.Log, @"KV cache (\d+) tokens \(\d+ MiB, ([^)]+)\)");
        Assert.True(m.Success, server.Log);
        return long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Serve_F16_TheDefault_HoldsTwiceTheTokensOfF32_InTheSameMemory()
    {
        long f32 = await CapacityAsync("--kv-type", "f32");
        long f16 = await CapacityAsync("--kv-type", "f16");
        long byDefault = await CapacityAsync();
        long mixed = await CapacityAsync("--kv-type", "f32", "-ctk", "f16"); // values stay F32
        Assert.Equal(2 * f32, f16);
        Assert.Equal(f16, byDefault);
        Assert.InRange(mixed, f32 + 1, f16 - 1);
    }

    [Fact]
    public void Run_Q8_0OnHeadsOf8_OneLineSayingWhy()
    {
        // stories260K's heads are 8 values wide; Q8_0 quantizes blocks of 32.
        CliAssert.OneLineError(WaferProcess.Run("run", Repository.DefaultModel, "--prompt", "x", "-n", "2", "--kv-type", "q8_0"), "multiple of 32");
        CliAssert.OneLineError(WaferProcess.Run("run", Repository.DefaultModel, "--prompt", "x", "-n", "2", "--kv-type", "q4"), "f32, f16, q8_0");
    }

    [Fact]
    public void Run_F16_Generates()
    {
        var r = WaferProcess.Run("run", Repository.DefaultModel, "--prompt", "Once upon a time", "-n", "8", "--temp", "0", "--kv-type", "f16");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.NotEmpty(r.StdOut.Trim());
    }
}
