using Microsoft.AspNetCore.Http;
using Wafer.Server.Hosting;

namespace Wafer.Server.Tests;

/// <summary>Who gets past the API-key check, on request contexts built here (no server needed).</summary>
public class ApiKeyRulesTests
{
    private static readonly ServerOptions Keys = new() { ModelPath = "unused.gguf", ApiKeys = new HashSet<string> { "sekret-1", "other" } };

    private static bool Allowed(string path, ServerOptions? options = null, string? authorization = null, string? xApiKey = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        if (authorization != null) http.Request.Headers.Authorization = authorization;
        if (xApiKey != null) http.Request.Headers["x-api-key"] = xApiKey;
        return WaferServer.Authorized(http, options ?? Keys);
    }

    [Theory]
    [InlineData("Bearer sekret-1")]
    [InlineData("bearer sekret-1")]
    [InlineData("BEARER   sekret-1  ")]
    [InlineData("Bearer other")]
    public void Bearer_AnySchemeCase_AnyConfiguredKey_Passes(string header) => Assert.True(Allowed("/v1/chat/completions", authorization: header));

    [Theory]
    [InlineData("Bearer sekret")]      // a prefix of a key
    [InlineData("Bearer sekret-12")]   // a key with more after it
    [InlineData("Bearer ")]
    [InlineData("Basic sekret-1")]
    [InlineData("sekret-1")]
    public void Bearer_AnythingElse_Refused(string header) => Assert.False(Allowed("/v1/chat/completions", authorization: header));

    [Fact]
    public void XApiKey_AsAnthropicClientsSendIt_Passes_WrongOneRefused()
    {
        Assert.True(Allowed("/v1/messages", xApiKey: "sekret-1"));
        Assert.False(Allowed("/v1/messages", xApiKey: "sekret-2"));
        Assert.False(Allowed("/v1/messages"));
    }

    [Theory]
    [InlineData("/tokenize")]
    [InlineData("/detokenize")]
    [InlineData("/v1/models")]
    [InlineData("/v1/embeddings")]
    public void EveryApiPath_NeedsAKey(string path) => Assert.False(Allowed(path));

    [Fact]
    public void Metrics_OpenByDefault_BehindTheKeysWithProtectMetrics()
    {
        Assert.True(Allowed("/metrics"));
        Assert.True(Allowed("/health"));
        Assert.True(Allowed("/"));
        Assert.True(Allowed("/dashboard"));
        var protectedMetrics = Keys with { ProtectMetrics = true };
        Assert.False(Allowed("/metrics", protectedMetrics));
        Assert.True(Allowed("/metrics", protectedMetrics, authorization: "bearer other"));
        Assert.True(Allowed("/health", protectedMetrics));
    }

    [Fact]
    public void ProtectMetrics_WithoutKeys_OneClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServerOptions { ModelPath = Repository.DefaultModel, ProtectMetrics = true }.Validate());
        Assert.Contains("--api-key", e.Message);
    }
}
