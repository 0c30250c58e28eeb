namespace Wafer.Router.Tests.Support;

/// <summary>Tests that run routers inside this process and read their metrics: one at a time, because every
/// in-process router reports through the same meter name, so parallel tests would count each other's traffic.</summary>
[CollectionDefinition(Name)]
public sealed class InProcessRouterCollection
{
    public const string Name = "in-process routers";
}
