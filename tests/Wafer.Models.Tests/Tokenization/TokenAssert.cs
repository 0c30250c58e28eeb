using System.Text;

namespace Wafer.Models.Tests.Tokenization;

/// <summary>Collects token-id mismatches over many inputs and fails once, showing the first few.</summary>
internal sealed class TokenAssert
{
    private const int ShownMismatches = 5;
    private readonly StringBuilder _report = new();
    private int _checked;
    private int _failed;

    public void Ids(string label, IReadOnlyList<int> expected, IReadOnlyList<int> actual)
    {
        _checked++;
        int first = FirstDifference(expected, actual);
        if (first < 0) return;
        Fail($"{label}: first difference at index {first}\n    expected [{string.Join(' ', expected)}]\n    actual   [{string.Join(' ', actual)}]");
    }

    public void Text(string label, string expected, string actual)
    {
        _checked++;
        if (expected == actual) return;
        Fail($"{label}: expected {Quote(expected)}, actual {Quote(actual)}");
    }

    /// <summary>Throws when anything failed; the message starts with "failed/checked".</summary>
    public void ThrowIfAny(string what)
    {
        if (_failed > 0) Assert.Fail($"{what}: {_failed} of {_checked} checks failed\n{_report}");
    }

    private void Fail(string line)
    {
        if (_failed++ < ShownMismatches) _report.AppendLine(line);
    }

    private static int FirstDifference(IReadOnlyList<int> expected, IReadOnlyList<int> actual)
    {
        int n = Math.Min(expected.Count, actual.Count);
        for (int i = 0; i < n; i++) if (expected[i] != actual[i]) return i;
        return expected.Count == actual.Count ? -1 : n;
    }

    public static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
