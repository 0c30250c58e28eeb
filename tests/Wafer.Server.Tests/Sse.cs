using System.Text.Json;
using Wafer.OpenAi.Sse;

namespace Wafer.Server.Tests;

/// <summary>Reads an SSE response body into its JSON events (stopping at [DONE]) with the wire library's reader.</summary>
internal static class Sse
{
    public static async Task<(List<JsonElement> Events, bool Done)> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var events = new List<JsonElement>();
        using var reader = new SseReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadEventAsync(cancellationToken) is { } data) events.Add(JsonDocument.Parse(data).RootElement.Clone());
        return (events, reader.SawDone);
    }
}
