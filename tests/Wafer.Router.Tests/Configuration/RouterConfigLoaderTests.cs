using Wafer.Router.Configuration;

namespace Wafer.Router.Tests.Configuration;

public sealed class RouterConfigLoaderTests
{
    private const string Backends = "\"backends\": [{\"name\": \"r0\", \"url\": \"http://127.0.0.1:8081\", \"models\": [\"stories\"]}]";

    [Fact]
    public void Parse_MinimalConfig_FillsDefaults()
    {
        var config = RouterConfigLoader.Parse("{" + Backends + ", \"routes\": [{\"model\": \"stories\", \"backends\": [\"r0\"]}]}", "t.json");
        var route = Assert.Single(config.Routes);
        Assert.Equal("least-outstanding", route.Policy);
        Assert.Equal(3, route.MaxAttempts);
        Assert.Null(route.Hedging);
        Assert.Equal(1, config.Backends[0].Weight);
    }

    [Fact]
    public void Parse_RouteNamesUnknownBackend_ErrorNamesItAndTheDefinedOnes()
    {
        var e = Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse("{" + Backends + ", \"routes\": [{\"model\": \"stories\", \"backends\": [\"r9\"]}]}", "t.json"));
        Assert.Contains("routes[0].backends names 'r9'", e.Message);
        Assert.Contains("defined: r0", e.Message);
    }

    [Fact]
    public void Parse_UnknownPolicy_ErrorListsPolicies()
    {
        var e = Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse("{" + Backends + ", \"routes\": [{\"model\": \"stories\", \"backends\": [\"r0\"], \"policy\": \"random\"}]}", "t.json"));
        Assert.Contains("'random' is unknown", e.Message);
        Assert.Contains("prefix-affinity", e.Message);
    }

    [Fact]
    public void Parse_MisspelledField_ErrorNamesIt()
    {
        var e = Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse("{" + Backends + ", \"routes\": [{\"model\": \"stories\", \"backend\": [\"r0\"]}]}", "t.json"));
        Assert.Contains("backend", e.Message);
        Assert.Contains("t.json", e.Message);
    }

    [Fact]
    public void Parse_BadUrlAndDuplicateName_Rejected()
    {
        Assert.Contains("not an absolute http(s) address", Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse(
            "{\"backends\": [{\"name\": \"r0\", \"url\": \"127.0.0.1:8081\"}], \"routes\": [{\"model\": \"m\", \"backends\": [\"r0\"]}]}", "t.json")).Message);
        Assert.Contains("used twice", Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse(
            "{\"backends\": [{\"name\": \"r0\", \"url\": \"http://a\"}, {\"name\": \"r0\", \"url\": \"http://b\"}], \"routes\": [{\"model\": \"m\", \"backends\": [\"r0\"]}]}", "t.json")).Message);
    }

    [Fact]
    public void Load_MissingFile_SaysSo()
    {
        var e = Assert.Throws<FileNotFoundException>(() => RouterConfigLoader.Load("/nonexistent/router.json"));
        Assert.Contains("--config", e.Message);
    }

    private static RouterConfig Group(string discover) =>
        RouterConfigLoader.Parse("{\"backends\": [{\"name\": \"serve\", \"models\": [\"stories\"], \"discover\": " + discover + "}], \"routes\": [{\"model\": \"stories\", \"backends\": [\"serve\"]}]}", "t.json");

    [Fact]
    public void Parse_DiscoveredGroups_KubernetesAndDns()
    {
        var k = Group("{\"kubernetes\": {\"service\": \"wafer-serve\", \"portName\": \"http\"}}").Backends[0].Discover!;
        Assert.Equal("wafer-serve", k.Kubernetes!.Service);
        Assert.Null(k.Kubernetes.Namespace);
        Assert.Equal("http", k.Scheme);
        var d = Group("{\"dns\": {\"host\": \"wafer-serve-headless\", \"port\": 8080}}").Backends[0].Discover!;
        Assert.Equal(8080, d.Dns!.Port);
        Assert.Equal(5000, d.Dns.IntervalMs);
    }

    [Theory]
    [InlineData("{}", "exactly one of 'kubernetes'")]
    [InlineData("{\"kubernetes\": {\"service\": \"a\"}, \"dns\": {\"host\": \"b\", \"port\": 1}}", "exactly one of 'kubernetes'")]
    [InlineData("{\"kubernetes\": {}}", "kubernetes.service is missing")]
    [InlineData("{\"kubernetes\": {\"service\": \"a\", \"port\": 8080, \"portName\": \"http\"}}", "both 'portName' and 'port'")]
    [InlineData("{\"kubernetes\": {\"service\": \"a\", \"apiServer\": \"kube\"}}", "apiServer 'kube' is not an absolute")]
    [InlineData("{\"dns\": {\"host\": \"b\"}}", "dns.port 0 is not a port")]
    [InlineData("{\"dns\": {\"port\": 80}}", "dns.host is missing")]
    [InlineData("{\"dns\": {\"host\": \"b\", \"port\": 80}, \"scheme\": \"ftp\"}", "scheme 'ftp'")]
    public void Parse_BadDiscovery_ErrorNamesTheField(string discover, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Group(discover));
        Assert.Contains("backends[0].discover", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UrlAndDiscover_ErrorSaysOneOrTheOther()
    {
        var e = Assert.Throws<InvalidDataException>(() => RouterConfigLoader.Parse("{\"backends\": [{\"name\": \"s\", \"url\": \"http://a:1\", \"discover\": {\"dns\": {\"host\": \"b\", \"port\": 1}}}], \"routes\": [{\"model\": \"m\", \"backends\": [\"s\"]}]}", "t.json"));
        Assert.Contains("both 'url' and 'discover'", e.Message, StringComparison.Ordinal);
    }
}
