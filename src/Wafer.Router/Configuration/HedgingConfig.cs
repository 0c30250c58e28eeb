namespace Wafer.Router.Configuration;

/// <summary>When to send a second copy of a request whose first token is late.</summary>
public sealed record HedgingConfig
{
    /// <summary>Fixed hedge delay in milliseconds; ignored when <see cref="Adaptive"/> is set.</summary>
    public double DelayMs { get; init; } = 100;

    /// <summary>Use the recent time-to-first-token percentile (<see cref="Percentile"/>) as the delay.</summary>
    public bool Adaptive { get; init; }

    /// <summary>Percentile of recent time to first token used when adaptive (0.5–0.999).</summary>
    public double Percentile { get; init; } = 0.95;

    /// <summary>Lower bound of the adaptive delay in milliseconds.</summary>
    public double MinDelayMs { get; init; } = 10;

    /// <summary>Hedges allowed per primary request (0.05 = at most 5 % extra requests).</summary>
    public double BudgetRatio { get; init; } = 0.05;
}
