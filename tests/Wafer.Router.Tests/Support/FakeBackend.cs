using Wafer.Bench;

namespace Wafer.Router.Tests.Support;

/// <summary>The router tests' backend: Wafer.Bench's <see cref="FakeOpenAiServer"/> set up as a four-token model ("Once upon a
/// time", finish "stop", usage in every stream), with properties that swap the server's options.</summary>
internal sealed class FakeBackend : IAsyncDisposable
{
    private static readonly FakeServerOptions Defaults = new()
    {
        Tokens = ["Once", " upon", " a", " time"],
        FinishReason = "stop",
        PromptTokens = 10,
        UsageUnasked = true,
    };

    private Func<int, TimeSpan> _firstTokenDelay = _ => TimeSpan.Zero;
    private int _status = 200;
    private int? _retryAfterSeconds;

    private FakeBackend(FakeOpenAiServer server)
    {
        Server = server;
        Url = new Uri(server.Url);
    }

    /// <summary>The one fake server, for what the properties below do not cover.</summary>
    public FakeOpenAiServer Server { get; }

    public Uri Url { get; }

    /// <summary>Delay before the first token of the request with this 1-based index.</summary>
    public Func<int, TimeSpan> FirstTokenDelay
    {
        get => _firstTokenDelay;
        set
        {
            _firstTokenDelay = value;
            Configure(o => o with { FirstTokenDelayFor = n => value(n + 1) });
        }
    }

    /// <summary>Logprob reported for every token.</summary>
    public double Logprob
    {
        get => Server.Options.Logprob;
        set => Configure(o => o with { Logprob = value });
    }

    /// <summary>Tokens of every answer (one chunk each when streaming).</summary>
    public IReadOnlyList<string> Tokens
    {
        get => Server.Options.Tokens!;
        set => Configure(o => o with { Tokens = value });
    }

    public string FinishReason
    {
        get => Server.Options.FinishReason;
        set => Configure(o => o with { FinishReason = value });
    }

    /// <summary>Status for generation requests; 200 answers normally.</summary>
    public int Status
    {
        get => _status;
        set
        {
            _status = value;
            ConfigureFailure();
        }
    }

    /// <summary>Retry-After (seconds) sent with a non-200 <see cref="Status"/>; null sends none.</summary>
    public int? RetryAfterSeconds
    {
        get => _retryAfterSeconds;
        set
        {
            _retryAfterSeconds = value;
            ConfigureFailure();
        }
    }

    public bool Healthy
    {
        get => Server.Options.Healthy;
        set => Configure(o => o with { Healthy = value });
    }

    public int Requests => Server.RequestCount;

    /// <summary>Requests whose client (the router) closed the connection before the answer ended.</summary>
    public int Cancelled => Server.CancelledCount;

    public static async Task<FakeBackend> StartAsync() => new(await FakeOpenAiServer.StartAsync(Defaults));

    private void ConfigureFailure()
    {
        FakeFailure? failure = _status == 200 ? null
            : _retryAfterSeconds is int seconds ? FakeFailure.RetryAfter(_status, seconds) with { Message = "scripted" }
            : new FakeFailure(_status, Message: "scripted");
        Configure(o => o with { FailWith = _ => failure });
    }

    private void Configure(Func<FakeServerOptions, FakeServerOptions> change) => Server.Options = change(Server.Options);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
