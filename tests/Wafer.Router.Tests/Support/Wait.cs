namespace Wafer.Router.Tests.Support;

/// <summary>Waits for something observable to happen, never for a length of time: the timeout is only there to fail a test whose event never comes.</summary>
internal static class Wait
{
    /// <summary>Long enough that a busy machine never reaches it; reaching it means the event did not happen.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="done"/> every 10 ms until it holds.</summary>
    public static async Task UntilAsync(Func<bool> done, string what)
    {
        using var cts = new CancellationTokenSource(Generous);
        while (!done())
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what} within {Generous.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Re-checks <paramref name="done"/> each time the task from <paramref name="next"/> completes, until it holds.</summary>
    /// <remarks>The next task is taken before each check, so an event between the check and the wait is not missed.</remarks>
    public static async Task UntilAsync(Func<Task> next, Func<bool> done, string what)
    {
        using var cts = new CancellationTokenSource(Generous);
        while (true)
        {
            var signal = next();
            if (done()) return;
            try
            {
                await signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what} within {Generous.TotalSeconds:0} s");
            }
        }
    }
}
