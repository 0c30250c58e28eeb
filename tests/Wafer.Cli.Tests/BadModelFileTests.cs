namespace Wafer.Cli.Tests;

public sealed class BadModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertOneLineError(WaferProcess.Result r, string mustContain)
    {
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("wafer: error: ", lines[0]);
        Assert.Contains(mustContain, lines[0]);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public void Run_TruncatedModel_OneLineError()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("models/stories260K.gguf"));
        string path = Path.Combine(_dir, "truncated.gguf");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        AssertOneLineError(WaferProcess.Run("run", path, "--prompt", "Once", "-n", "4"), "truncated.gguf");
    }

    [Fact]
    public void Run_RandomBytes_OneLineError()
    {
        var bytes = new byte[100_000];
        new Random(3).NextBytes(bytes);
        string path = Path.Combine(_dir, "random.gguf");
        File.WriteAllBytes(path, bytes);
        AssertOneLineError(WaferProcess.Run("run", path, "--prompt", "Once"), "not a GGUF file");
    }

    [Fact]
    public void Inspect_InvalidTensorOffset_OneLineError()
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("models/stories260K.gguf"));
        // The last tensor's directory entry ends with its u64 offset; point it far past the end.
        string name = "output.weight";
        int at = LastEntryOffsetField(bytes, name);
        BitConverter.TryWriteBytes(bytes.AsSpan(at), 1L << 40);
        string path = Path.Combine(_dir, "bad-offset.gguf");
        File.WriteAllBytes(path, bytes);
        AssertOneLineError(WaferProcess.Run("inspect", path), "past the end");
    }

    [Fact]
    public void Run_MissingFile_OneLineError()
    {
        AssertOneLineError(WaferProcess.Run("run", Path.Combine(_dir, "nope.gguf"), "--prompt", "x"), "does not exist");
    }

    private static int LastEntryOffsetField(byte[] bytes, string name)
    {
        var key = new byte[8 + name.Length];
        BitConverter.TryWriteBytes(key, (ulong)name.Length);
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(key, 8);
        int start = bytes.AsSpan().IndexOf(key);
        Assert.True(start > 0, $"tensor {name} not found");
        int dims = BitConverter.ToInt32(bytes, start + key.Length);
        return start + key.Length + 4 + 8 * dims + 4;
    }
}
