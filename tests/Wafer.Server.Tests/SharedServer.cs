namespace Wafer.Server.Tests;

/// <summary>One default <c>wafer serve</c> of stories260K shared by the tests of a class.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    internal WaferServerProcess Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await WaferServerProcess.ServeAsync("--max-seqs", "16", "--max-queue", "256");

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
