namespace Wafer.Cli.Tests;

/// <summary><c>wafer inspect</c> prints the metadata and the tensor table of real fixture files (shapes and names in brackets
/// included: they are text, not console markup).</summary>
public sealed class InspectCommandTests
{
    [Theory]
    [InlineData("models/stories260K.gguf", "token_embd.weight")]
    [InlineData("models/synth-bert-2L-128-F16.gguf", "position_embd.weight")]
    public void Inspect_FixtureModel_TablesWithShapes(string model, string tensor)
    {
        var r = WaferProcess.Run("inspect", Fixtures.Path(model));
        CliAssert.Success(r);
        Assert.Contains(tensor, r.StdOut);
        Assert.Matches(@"\[\d+, \d+\]", r.StdOut);
        Assert.Contains("total", r.StdOut);
    }
}
