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
    private string? _retryAfter;

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

    /// <summary>Retry-After header value (delta-seconds or an HTTP date) sent with a non-200 <see cref="Status"/>; null sends none.</summary>
    public string? RetryAfter
    {
        get => _retryAfter;
        set
        {
            _retryAfter = value;
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

    /// <summary>Requests whose handler has returned (answered, refused or cancelled); equal to <see cref="Requests"/> when none is in flight.</summary>
    public int Ended => Server.EndedCount;

    public static async Task<FakeBackend> StartAsync() => new(await FakeOpenAiServer.StartAsync(Defaults));

    private void ConfigureFailure()
    {
        FakeFailure? failure = _status == 200 ? null
            : _retryAfter is string retryAfter ? new FakeFailure(_status, new Dictionary<string, string> { ["Retry-After"] = retryAfter }, "scripted")
            : new FakeFailure(_status, Message: "scripted");
        Configure(o => o with { FailWith = _ => failure });
    }

    private void Configure(Func<FakeServerOptions, FakeServerOptions> change) => Server.Options = change(Server.Options);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
