using System.Net;
using System.Text;

namespace Wafer.Server.Tests;

/// <summary>1,000 generated malformed requests get 4xx answers only, and the server stays healthy.</summary>
public class MalformedRequestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly string[] Paths = ["v1/chat/completions", "v1/completions", "tokenize", "detokenize"];

    /// <summary>Bodies that are invalid by construction: each category breaks a rule the API states.</summary>
    private static byte[] Generate(Random r, string path)
    {
        string Msg(string content) => $$"""{"role":"user","content":{{content}}}""";
        string chatOk = $$"""{"messages":[{{Msg("\"hi\"")}}],"max_tokens":2""";
        string promptOk = """{"prompt":"hi","max_tokens":2""";
        string ok = path.Contains("chat", StringComparison.Ordinal) ? chatOk : path.Contains("completions", StringComparison.Ordinal) ? promptOk : """{"content":"hi","tokens":[1,2]""";
        int category = r.Next(14);
        bool generation = path.StartsWith("v1/", StringComparison.Ordinal);
        if (!generation && category is (>= 4 and <= 8) or (>= 10 and <= 12))
            return Encoding.UTF8.GetBytes(path == "tokenize" ? $$"""{"content":{{r.Next()}}}""" : $$"""{"tokens":[{{-r.Next(1, 99)}}]}"""); // wrong type / bad id
        return category switch
        {
            0 => Encoding.UTF8.GetBytes(ok[..r.Next(1, ok.Length)]),                                     // truncated JSON
            1 => [.. Encoding.UTF8.GetBytes(ok[..^1] + ",\"x\":\""), 0xC3, 0x28, .. "\"}"u8.ToArray()],    // invalid UTF-8
            2 => RandomBytes(r),                                                                          // noise
            3 => Encoding.UTF8.GetBytes($"[{ok}}}]"),                                                     // array, not object
            4 => Encoding.UTF8.GetBytes(ok + ",\"max_tokens\":" + (-r.Next(1, 1_000_000)) + "}"),         // negative max_tokens
            5 => Encoding.UTF8.GetBytes(ok + ",\"max_tokens\":1e400}"),                                  // huge number
            6 => Encoding.UTF8.GetBytes(ok + ",\"temperature\":\"hot\"}"),                                // wrong type
            7 => Encoding.UTF8.GetBytes(ok + ",\"stop\":[" + string.Join(",", Enumerable.Range(0, r.Next(17, 5000)).Select(i => $"\"s{i}\"")) + "]}"), // enormous stop list
            8 => path.Contains("chat", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes("""{"messages":[]}""") : Encoding.UTF8.GetBytes("""{"prompt":[],"tokens":"x","content":5}"""), // empty
            9 => Encoding.UTF8.GetBytes(new string('[', r.Next(100, 3000))),                              // deep nesting
            10 => Encoding.UTF8.GetBytes(ok + ",\"top_p\":" + r.Next(2, 100) + "}"),                      // out of range
            11 => Encoding.UTF8.GetBytes(ok + ",\"logit_bias\":{\"-5\":1}}"),                              // bad token id
            12 => Encoding.UTF8.GetBytes(ok + ",\"n\":" + r.Next(2, 99) + ",\"tokens\":[-1],\"content\":null}"), // unsupported n / bad ids
            _ => Encoding.UTF8.GetBytes("null"),
        };
    }

    private static byte[] RandomBytes(Random r)
    {
        var b = new byte[r.Next(1, 512)];
        r.NextBytes(b);
        b[0] = (byte)'{';
        return b;
    }

    [Fact]
    public async Task Post_1000MalformedRequests_Only4xx_StillHealthy()
    {
        var random = new Random(2026);
        var requests = Enumerable.Range(0, 1000).Select(i =>
        {
            string path = Paths[i % Paths.Length];
            return (Path: path, Body: Generate(random, path));
        }).ToList();

        var statuses = new List<(int Status, string Path, string Body)>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(requests.Select(async req =>
        {
            await gate.WaitAsync();
            try
            {
                using var content = new ByteArrayContent(req.Body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await shared.Server.Http.PostAsync(req.Path, content);
                lock (statuses) statuses.Add(((int)response.StatusCode, req.Path, Encoding.UTF8.GetString(req.Body[..Math.Min(req.Body.Length, 120)])));
            }
            finally
            {
                gate.Release();
            }
        })).WaitAsync(TimeSpan.FromSeconds(120));

        var wrong = statuses.Where(s => s.Status is < 400 or >= 500).ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(5).Select(w => $"{w.Status} {w.Path} {w.Body}")));
        using var health = await shared.Server.Http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
