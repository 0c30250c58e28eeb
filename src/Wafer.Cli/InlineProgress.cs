namespace Wafer.Cli;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (System.Progress posts asynchronously, so its last report can arrive after the work ends).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
