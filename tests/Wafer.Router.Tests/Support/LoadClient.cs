using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Wafer.OpenAi.Sse;
using Wafer.OpenAi.Streaming;

namespace Wafer.Router.Tests.Support;

/// <summary>Sends requests and measures time to first token (first SSE data event carrying content) at the client.</summary>
internal static class LoadClient
{
    public sealed record Outcome(bool Ok, bool Started, double FirstTokenMs, string? Backend, string Body);

    public static string ChatBody(string model, string user, bool stream, int maxTokens = 16, string? system = null) =>
        "{\"model\":\"" + model + "\",\"stream\":" + (stream ? "true" : "false") + ",\"max_tokens\":" + maxTokens + ",\"messages\":[" +
        (system != null ? "{\"role\":\"system\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(system) + "}," : "") +
        "{\"role\":\"user\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(user) + "}]}";

    /// <summary>Sends one request; never throws for transport errors (they come back as not Ok).</summary>
    public static async Task<Outcome> SendAsync(HttpClient http, string path, string body, bool stream, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        bool started = false;
        double ttft = double.NaN;
        var text = new StringBuilder();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            string? backend = response.Headers.TryGetValues("x-wafer-backend", out var v) ? v.First() : null;
            if (!response.IsSuccessStatusCode) return new Outcome(false, false, double.NaN, backend, await response.Content.ReadAsStringAsync(ct));
            if (!stream)
            {
                string whole = await response.Content.ReadAsStringAsync(ct);
                return new Outcome(true, false, watch.Elapsed.TotalMilliseconds, backend, whole);
            }
            using var reader = new SseReader(await response.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadEventAsync(ct) is { } data)
            {
                started = true;
                text.Append("data: ").Append(data).Append('\n');
                if (double.IsNaN(ttft) && StreamChunk.Parse(data).HasContent) ttft = watch.Elapsed.TotalMilliseconds;
            }
            started |= reader.SawDone;
            return new Outcome(reader.SawDone, started, ttft, backend, text.ToString());
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or SseFormatException)
        {
            return new Outcome(false, started, ttft, null, e.Message);
        }
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);
}
