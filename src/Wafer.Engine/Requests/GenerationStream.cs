using System.Threading.Channels;
using Wafer.Engine.Commands;

namespace Wafer.Engine.Requests;

/// <summary>The token events of one submitted generation, read once. The last event carries the finish reason and
/// the usage; a generation the engine could not finish ends the enumeration with an exception instead.</summary>
/// <remarks>
/// <see cref="Accepted"/> completes once the engine thread has queued the request (it faults with
/// <see cref="EngineStoppedException"/> when the engine stopped first), so a caller can wait for it before it commits to a
/// response. Leaving the enumeration early, cancelling the token given at submission or disposing the stream cancels the
/// request at the engine's next step.
/// </remarks>
public sealed class GenerationStream : IAsyncEnumerable<TokenEvent>, IAsyncDisposable
{
    private readonly Channel<TokenEvent> _events = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ChannelWriter<EngineCommand> _commands;
    private readonly CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    private int _enumerated;
    private volatile bool _finished;
    private int _cancelSent;

    internal GenerationStream(long id, ChannelWriter<EngineCommand> commands, CancellationToken cancellationToken)
    {
        Id = id;
        _commands = commands;
        _cancellationToken = cancellationToken;
        _accepted.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>The engine's id of the request.</summary>
    public long Id { get; }

    /// <summary>The KV precision the engine stores the request at (see <see cref="GenerationUsage.KvPrecision"/>); set once
    /// <see cref="Accepted"/> has completed.</summary>
    public string? KvPrecision { get; private set; }

    /// <summary>Completes when the engine has queued the request; faults when the engine stopped before it could.</summary>
    public Task Accepted => _accepted.Task;

    /// <inheritdoc/>
    public async IAsyncEnumerator<TokenEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0) throw new InvalidOperationException("a generation stream can be read only once");
        try
        {
            while (await _events.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (_events.Reader.TryRead(out var e))
                {
                    if (e.FinishReason != null) _finished = true;
                    yield return e;
                }
        }
        finally
        {
            if (!_finished) SendCancel();
            _registration.Dispose();
        }
    }

    /// <summary>Cancels the request if it has not finished.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_finished) SendCancel();
        _registration.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Called once the submit command is in the engine's queue, so a cancellation always follows its submission.</summary>
    internal void WatchCancellation()
    {
        if (_cancellationToken.CanBeCanceled) _registration = _cancellationToken.Register(static s => ((GenerationStream)s!).SendCancel(), this);
    }

    private void SendCancel()
    {
        if (Interlocked.Exchange(ref _cancelSent, 1) == 0) _commands.TryWrite(new CancelCommand(Id));
    }

    // The engine thread's side.

    internal void Accept(string kvPrecision)
    {
        KvPrecision = kvPrecision;
        _accepted.TrySetResult();
    }

    internal void Write(TokenEvent e) => _events.Writer.TryWrite(e);

    /// <summary>Ends the stream with its last event.</summary>
    internal void Complete(TokenEvent last)
    {
        _events.Writer.TryWrite(last);
        _events.Writer.TryComplete();
    }

    /// <summary>Ends the stream with an error (also faulting <see cref="Accepted"/> if the request was never queued).</summary>
    internal void Fail(Exception error)
    {
        _accepted.TrySetException(error);
        _events.Writer.TryComplete(error);
    }

    /// <summary>Ends the stream of a request its caller cancelled.</summary>
    internal void Cancelled() => Fail(new OperationCanceledException("the request was cancelled", _cancellationToken));
}
