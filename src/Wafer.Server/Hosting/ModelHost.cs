using Wafer.Engine;
using Wafer.Server.Api;

namespace Wafer.Server.Hosting;

/// <summary>Loads the served model in the background; until it is ready, generation endpoints answer 503.</summary>
public sealed class ModelHost(Task<LocalModel> loading) : IAsyncDisposable
{
    /// <summary>True once the model is loaded.</summary>
    public bool IsReady => loading.IsCompletedSuccessfully;

    /// <summary>Why loading failed, if it did.</summary>
    public Exception? LoadError => loading.IsFaulted ? loading.Exception!.InnerException : null;

    /// <summary>The model, waiting for it if it is still loading.</summary>
    public Task<LocalModel> Loaded => loading;

    /// <summary>The loaded model, or a 503 while loading.</summary>
    public LocalModel Require() =>
        IsReady ? loading.Result
        : LoadError != null ? throw new ApiException(503, $"the model failed to load: {LoadError.Message}", "server_error")
        : throw new ApiException(503, "the model is still loading; retry shortly", "server_error") { RetryAfterSeconds = 1 };

    public async ValueTask DisposeAsync()
    {
        if (IsReady) await loading.Result.DisposeAsync().ConfigureAwait(false);
    }
}
