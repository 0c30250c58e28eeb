using System.Text;
using System.Text.Json;

namespace Wafer.Cli.Tests.Commands;

/// <summary><c>wafer serve</c> with no model on a machine with no fixtures and an empty model cache: the README's first
/// command on a fresh clone. It serves the embedded default (models/stories260K-Q8_0.gguf) and says so.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("wafer-empty-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Serve_NoModelNoFixtures_ServesTheEmbeddedDefaultAndAnswersChat()
    {
        await using var server = await WaferServerProcess.ServeDefaultAsync(_cache);
        var response = await server.Http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model": "stories260K", "messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 12, "temperature": 0}""", Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("stories260K", root.GetProperty("model").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.Contains("embedded default, stories260K", server.Log);
        Assert.Contains("wafer serve path/to/model.gguf", server.Log);
    }
}
