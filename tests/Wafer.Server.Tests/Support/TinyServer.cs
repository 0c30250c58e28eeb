using Microsoft.Extensions.Logging;
using Wafer.Engine;
using Wafer.Models.Tests.Architectures;
using Wafer.Server.Hosting;

namespace Wafer.Server.Tests.Support;

/// <summary>An in-process <see cref="WaferServer"/> on a free loopback port over a random-weight tiny model (context 64,
/// tokens "t0"…"t39" and byte fallback), so tests of the HTTP edge need no fixtures and can reach into the engine.</summary>
internal sealed class TinyServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly WaferServer _server;

    private TinyServer(string dir, WaferServer server, LocalModel model)
    {
        _dir = dir;
        _server = server;
        Model = model;
        Http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public LocalModel Model { get; }

    public HttpClient Http { get; }

    public static async Task<TinyServer> StartAsync(string chatTemplate = "chatml", string reasoningFormat = "deepseek")
    {
        string dir = Directory.CreateTempSubdirectory("wafer-tiny-server-").FullName;
        var server = await WaferServer.StartAsync(new ServerOptions
        {
            ModelPath = TinyModel.Write(dir, "llama", byteFallback: true),
            Port = 0,
            Threads = 1,
            MaxSequences = 4,
            ChatTemplate = chatTemplate,
            ReasoningFormat = reasoningFormat,
        }, logging => logging.ClearProviders());
        var model = await server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        return new TinyServer(dir, server, model);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
