using System.Net.Http.Headers;
using Wafer.Router.Forwarding;

namespace Wafer.Router.Tests.Forwarding;

public sealed class BackendRetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void From_DeltaSeconds_ThatMany() =>
        Assert.Equal(TimeSpan.FromSeconds(7), BackendRetryAfter.From(RetryConditionHeaderValue.Parse("7"), Now));

    [Fact]
    public void From_HttpDate_TimeUntilThen() =>
        Assert.Equal(TimeSpan.FromSeconds(90), BackendRetryAfter.From(RetryConditionHeaderValue.Parse(Now.AddSeconds(90).ToString("r")), Now));

    [Fact]
    public void From_HttpDateInThePast_Zero() =>
        Assert.Equal(TimeSpan.Zero, BackendRetryAfter.From(RetryConditionHeaderValue.Parse(Now.AddSeconds(-90).ToString("r")), Now));

    [Fact]
    public void From_NoHeader_Null() => Assert.Null(BackendRetryAfter.From(null, Now));

    [Fact]
    public void Min_OneMissing_TheOther()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), BackendRetryAfter.Min(null, TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(3), BackendRetryAfter.Min(TimeSpan.FromSeconds(3), null));
        Assert.Equal(TimeSpan.FromSeconds(2), BackendRetryAfter.Min(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2)));
        Assert.Null(BackendRetryAfter.Min(null, null));
    }

    [Fact]
    public void Seconds_FractionOrNone_RoundedUpOrDefault()
    {
        Assert.Equal(3, BackendRetryAfter.Seconds(TimeSpan.FromSeconds(2.2)));
        Assert.Equal(0, BackendRetryAfter.Seconds(TimeSpan.Zero));
        Assert.Equal(BackendRetryAfter.DefaultSeconds, BackendRetryAfter.Seconds(null));
    }
}
