namespace Wafer.Router.Forwarding;

/// <summary>The most recent time-to-first-token samples of a route, for the adaptive hedge delay.</summary>
internal sealed class LatencyWindow(int capacity = 512)
{
    private readonly double[] _samples = new double[capacity]; // [capacity] milliseconds, a ring
    private readonly Lock _lock = new();
    private int _count;
    private int _next;

    public int Count
    {
        get
        {
            lock (_lock) return _count;
        }
    }

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _samples[_next] = milliseconds;
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
        }
    }

    /// <summary>The <paramref name="p"/> quantile (0–1) of the window, or null while it holds fewer than 20 samples.</summary>
    public double? Percentile(double p)
    {
        double[] copy;
        lock (_lock)
        {
            if (_count < 20) return null;
            copy = _samples[.._count];
        }
        Array.Sort(copy);
        return copy[Math.Min(copy.Length - 1, (int)Math.Ceiling(p * copy.Length) - 1)];
    }
}
