using System.Net;
using System.Net.Http.Headers;

namespace Wafer.Server.Tests;

public class AuthTests
{
    [Fact]
    public async Task ApiKey_MissingOrWrong_401_RightKey_200_HealthOpen()
    {
        await using var server = await WaferServerProcess.ServeAsync("--api-key", "sekret");
        static StringContent Body() => new("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json");

        using (var none = await server.Http.PostAsync("v1/chat/completions", Body())) Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Body() })
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            using var r = await server.Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("invalid_api_key", await r.Content.ReadAsStringAsync());
        }
        using (var right = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Body() })
        {
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sekret");
            using var r = await server.Http.SendAsync(right);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var health = await server.Http.GetAsync("health")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
