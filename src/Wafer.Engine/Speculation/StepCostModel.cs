namespace Wafer.Engine.Speculation;

/// <summary>What a forward step costs as a function of its tokens, T(n) = a + b·n, fitted online from the steps the engine
/// ran (exponentially weighted least squares): b is what one more row (a draft to verify) adds, a what a step costs anyway
/// (reading the weights, at small batches). <see cref="SpeculationPolicy"/> reads it; only the engine thread writes it.</summary>
public sealed class StepCostModel
{
    private const double Decay = 0.98;   // about the last 50 steps
    private double _w, _n, _t, _nn, _nt;

    /// <summary>Steps recorded.</summary>
    public long Steps { get; private set; }

    /// <summary>Records a step of <paramref name="tokens"/> tokens that took <paramref name="seconds"/>.</summary>
    public void Record(int tokens, double seconds)
    {
        if (tokens <= 0 || !(seconds > 0)) return;
        _w = _w * Decay + 1;
        _n = _n * Decay + tokens;
        _t = _t * Decay + seconds;
        _nn = _nn * Decay + (double)tokens * tokens;
        _nt = _nt * Decay + tokens * seconds;
        Steps++;
    }

    /// <summary>(a, b) once the steps seen vary enough in size to tell them apart, else null.</summary>
    public (double Fixed, double PerToken)? Fit()
    {
        if (Steps < 8) return null;
        double meanN = _n / _w, meanT = _t / _w;
        double varN = _nn / _w - meanN * meanN;
        if (varN < 0.25) return null; // steps all of one size: the slope is unknown
        double b = Math.Max(0, (_nt / _w - meanN * meanT) / varN);
        double a = Math.Max(0, meanT - b * meanN);
        return (a, b);
    }

    /// <summary>What one more token adds to a step of <paramref name="tokens"/> tokens, relative to that step (b / T(n)),
    /// or null while unknown.</summary>
    public double? MarginalShare(int tokens) => Fit() is var (a, b) && a + b * tokens > 0 ? b / (a + b * tokens) : null;
}
