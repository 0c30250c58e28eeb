using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wafer.OpenAi.Web;

/// <summary>The browser pages of <c>wafer serve</c> and <c>wafer route</c>, served from this assembly's embedded resources
/// (nothing is fetched at run time): the playground at <c>/</c>, the live dashboard at <c>/dashboard</c>, their scripts,
/// styles and the vendored chart library under <c>/ui/</c>.</summary>
/// <remarks>Every page is sent with a Content-Security-Policy that allows scripts from this origin only, so model output the
/// playground shows can never run as script even if it reached the DOM as markup (the playground builds it as text nodes).</remarks>
public static class WebUi
{
    /// <summary>Paths the pages live under: reachable without an API key (the playground asks for the key itself and keeps it
    /// in the browser's session storage; the dashboard reads <c>/metrics</c>, which is open too).</summary>
    public static bool IsPagePath(PathString path) =>
        path == "/" || path == "/dashboard" || path.StartsWithSegments("/ui");

    private const string Prefix = "Wafer.OpenAi.Web.assets.";

    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Maps the pages: <c>/</c>, <c>/dashboard</c> and <c>/ui/{file}</c>.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", http => WriteAsync(http, "index.html"));
        app.MapGet("/dashboard", http => WriteAsync(http, "dashboard.html"));
        app.MapGet("/ui/{**file}", (HttpContext http, string file) => WriteAsync(http, file));
    }

    private static async Task WriteAsync(HttpContext http, string file)
    {
        string name = Prefix + file;
        var assembly = typeof(WebUi).Assembly;
        await using var stream = file.Contains("..", StringComparison.Ordinal) ? null : assembly.GetManifestResourceStream(name);
        if (stream == null)
        {
            http.Response.StatusCode = 404;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync($"no page /ui/{file}", http.RequestAborted).ConfigureAwait(false);
            return;
        }
        http.Response.ContentType = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".png" => "image/png",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        http.Response.Headers.ContentSecurityPolicy = Policy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.ContentLength = stream.Length;
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
    }
}
