using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Evaluation;

namespace Wafer.Models.Tests.Evaluation;

public class FidelityTests(ITestOutputHelper output)
{
    [Fact]
    public void Measure_Stories260KF32_WithinNoise()
    {
        var golden = GoldenCompletions.Load(Fixtures.Path("golden/completions/stories260K.json"));
        using var model = TransformerModel.Load(Fixtures.Path(golden.ModelFile), new WorkerPool(2));
        var r = FidelityReport.Measure(model, golden);
        output.WriteLine(r.ToString());
        Assert.True(r.MedianTop10 <= 0.001, r.ToString());
    }
}
