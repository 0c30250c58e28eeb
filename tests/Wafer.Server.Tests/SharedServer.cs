namespace Wafer.Server.Tests;

/// <summary>One default <c>wafer serve</c> of stories260K shared by the tests of a class. Without the fixtures it starts
/// nothing, and each test that asks for the server skips from its own body (a class fixture cannot skip).</summary>
public sealed class SharedServer : IAsyncLifetime
{
    private WaferServerProcess? _server;
    private string? _skipReason;

    internal WaferServerProcess Server
    {
        get
        {
            if (_server == null) Assert.Skip(_skipReason ?? "the shared server did not start");
            return _server;
        }
    }

    public async ValueTask InitializeAsync()
    {
        _skipReason = Fixtures.Missing("models/stories260K.gguf");
        if (_skipReason == null) _server = await WaferServerProcess.ServeAsync("--max-seqs", "16", "--max-queue", "256");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
    }
}
