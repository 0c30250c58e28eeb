using System.Security.Cryptography;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;

namespace Wafer.Models.Tests.Evaluation;

/// <summary>The check shared by the tests whose models are written by the test itself (rope scaling, architectures): the model
/// written is byte for byte the one llama.cpp ran on (the golden file's SHA-256), and Wafer's logprobs on it are within the
/// weight class's tolerance.</summary>
internal static class WrittenModelFidelity
{
    /// <param name="keepFolder">Environment variable naming a folder to write the models into and keep (to make the golden
    /// files again); without it they go to a temporary folder that is deleted.</param>
    /// <param name="goldenFolder">Folder under Golden/ beside the tests holding <c>NAME.json</c>.</param>
    /// <param name="write">Writes the named model into a folder and returns its path.</param>
    /// <param name="check">Further checks of the loaded model, before the comparison.</param>
    public static void Check(ITestOutputHelper output, string keepFolder, string goldenFolder, string name, Func<string, string, string> write,
        Action<TransformerModel>? check = null)
    {
        string? kept = Environment.GetEnvironmentVariable(keepFolder);
        string folder = kept ?? Directory.CreateTempSubdirectory("wafer-written-").FullName;
        Directory.CreateDirectory(folder);
        try
        {
            string path = write(name, folder);
            var golden = GoldenCompletions.Load(Path.Combine(AppContext.BaseDirectory, "Golden", goldenFolder, $"{name}.json"));
            Assert.Equal(golden.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
            using var model = TransformerModel.Load(path, new WorkerPool(2));
            check?.Invoke(model);
            var report = FidelityReport.Measure(model, golden);
            var tolerance = FidelityTolerance.For(golden.TensorTypes.Keys);
            output.WriteLine($"{name}: {report} (tolerance {tolerance})");
            Assert.True(report.Steps > 0);
            Assert.Null(tolerance.Check(report));
        }
        finally
        {
            if (kept == null) Directory.Delete(folder, recursive: true);
        }
    }
}
