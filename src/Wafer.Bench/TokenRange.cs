using System.Globalization;

namespace Wafer.Bench;

/// <summary>A token count with a uniform spread, written "200±50" (also "200+-50" or "200"); each draw is uniform in [mean − spread, mean + spread].</summary>
internal readonly record struct TokenRange(int Mean, int Spread)
{
    public static TokenRange Parse(string text)
    {
        string t = text.Trim().Replace("+-", "±", StringComparison.Ordinal);
        string[] parts = t.Split('±');
        if (parts.Length > 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int mean)
            || (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int _)))
            throw new FormatException($"token count '{text}' is not of the form MEAN or MEAN±SPREAD (for example 200±50)");
        int spread = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
        if (mean < 1) throw new ArgumentException($"token count '{text}' must have a mean of at least 1");
        if (spread >= mean) throw new ArgumentException($"token count '{text}': the spread must be smaller than the mean");
        return new TokenRange(mean, spread);
    }

    public int Sample(Random random) => Spread == 0 ? Mean : random.Next(Mean - Spread, Mean + Spread + 1);

    public override string ToString() => Spread == 0 ? Mean.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{Mean}±{Spread}");
}
