using Wafer.Router.Configuration;

namespace Wafer.Router.Tests.Fuzz;

/// <summary>The router.json inputs on which the fuzz harness found NullReferenceExceptions (and the duplicate key it let
/// pass), each now an <see cref="InvalidDataException"/> naming the field.</summary>
public sealed class RouterConfigFuzzRegressionTests
{
    private const string Backend = """{"name": "r0", "url": "http://127.0.0.1:8081", "models": ["m"]}""";
    private const string Route = """{"model": "m", "backends": ["r0"]}""";

    [Theory]
    [InlineData("""{"backends": null, "routes": [ROUTE]}""", "backends")]
    [InlineData("""{"backends": [null], "routes": [ROUTE]}""", "backends[0] is null")]
    [InlineData("""{"backends": [BACKEND], "routes": null}""", "routes")]
    [InlineData("""{"backends": [BACKEND], "routes": [null]}""", "routes[0] is null")]
    [InlineData("""{"backends": [{"name": "r0", "url": "http://127.0.0.1:8081", "models": null}], "routes": [ROUTE]}""", "models")]
    [InlineData("""{"backends": [BACKEND], "routes": [{"model": "m", "backends": null}]}""", "backends")]
    [InlineData("""{"backends": [BACKEND], "routes": [ROUTE], "health": null}""", "health")]
    [InlineData("""{"backends": [BACKEND], "routes": [ROUTE], "rateLimits": {"keys": {"k": null}}}""", "rateLimits.keys['k'] is null")]
    [InlineData("""{"backends": [BACKEND], "routes": [ROUTE], "routes": []}""", "routes")]
    public void Parse_NullOrDuplicateField_InvalidDataExceptionNamingIt(string json, string named)
    {
        var e = Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse(json.Replace("BACKEND", Backend).Replace("ROUTE", Route), "router.json"));

        Assert.Contains("router config 'router.json'", e.Message);
        Assert.Contains(named, e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
