using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Wafer.Hub.Tests;

/// <summary>A loopback stand-in for the Hugging Face hub: the tree API, <c>resolve</c> answering HEAD with the commit and
/// LFS headers and GET with a 302 to a second host (the storage) that serves byte ranges. Test-controlled faults: a token
/// required, a cut after N bytes, a wrong hash.</summary>
public sealed class FakeHub : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly HttpListener _hub = new(), _storage = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public string Repository { get; } = "org/model-GGUF";
    public Uri Endpoint { get; }
    public Uri StorageEndpoint { get; }
    public string? RequiredToken { get; set; }
    /// <summary>When set, the storage closes the connection after this many bytes of a response body (once).</summary>
    public long? CutAfter { get; set; }
    public bool WrongHash { get; set; }
    public List<string> StorageAuthorizations { get; } = [];
    public List<string> StorageRanges { get; } = [];

    public FakeHub()
    {
        Endpoint = Start(_hub, Hub);
        StorageEndpoint = Start(_storage, Storage);
    }

    public void Add(string path, byte[] content) { lock (_files) _files[path] = content; }

    private Uri Start(HttpListener listener, Func<HttpListenerContext, Task> handle)
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var uri = new Uri($"http://127.0.0.1:{port}/");
            listener.Prefixes.Clear();
            listener.Prefixes.Add(uri.ToString());
            try { listener.Start(); }
            catch (HttpListenerException) when (attempt < 5) { continue; }
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    HttpListenerContext context;
                    try { context = await listener.GetContextAsync(); }
                    catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        try { await handle(context); }
                        catch (Exception) { try { context.Response.Abort(); } catch (Exception) { } }
                    });
                }
            });
            return uri;
        }
    }

    private async Task Hub(HttpListenerContext c)
    {
        string path = Uri.UnescapeDataString(c.Request.Url!.AbsolutePath);
        if (RequiredToken != null && c.Request.Headers["Authorization"] != "Bearer " + RequiredToken)
        {
            c.Response.StatusCode = 401;
            c.Response.AddHeader("X-Error-Code", "GatedRepo");
            c.Response.Close();
            return;
        }
        string tree = $"/api/models/{Repository}/tree/";
        string resolve = $"/{Repository}/resolve/";
        if (path.StartsWith(tree, StringComparison.Ordinal))
        {
            List<object> entries;
            lock (_files)
                entries = _files.Select(f => (object)new { type = "file", path = f.Key, size = 134, lfs = new { oid = Sha(f.Value), size = f.Value.Length } }).ToList();
            var body = JsonSerializer.SerializeToUtf8Bytes(entries);
            c.Response.ContentType = "application/json";
            await c.Response.OutputStream.WriteAsync(body);
            c.Response.Close();
            return;
        }
        if (path.StartsWith(resolve, StringComparison.Ordinal))
        {
            string rest = path[resolve.Length..];
            string file = rest[(rest.IndexOf('/') + 1)..];
            byte[]? content;
            lock (_files) _files.TryGetValue(file, out content);
            if (content == null)
            {
                c.Response.StatusCode = 404;
                c.Response.AddHeader("X-Error-Code", "EntryNotFound");
                c.Response.Close();
                return;
            }
            c.Response.StatusCode = 302;
            c.Response.AddHeader("X-Repo-Commit", Commit);
            c.Response.AddHeader("X-Linked-Etag", $"\"{(WrongHash ? new string('0', 64) : Sha(content))}\"");
            c.Response.AddHeader("X-Linked-Size", content.Length.ToString());
            c.Response.AddHeader("Location", new Uri(StorageEndpoint, "blob/" + file).ToString());
            c.Response.Close();
            return;
        }
        c.Response.StatusCode = 404;
        c.Response.AddHeader("X-Error-Code", "RepoNotFound");
        c.Response.Close();
    }

    private async Task Storage(HttpListenerContext c)
    {
        lock (StorageAuthorizations)
        {
            StorageAuthorizations.Add(c.Request.Headers["Authorization"] ?? "");
            StorageRanges.Add(c.Request.Headers["Range"] ?? "");
        }
        string file = Uri.UnescapeDataString(c.Request.Url!.AbsolutePath)["/blob/".Length..];
        byte[]? content;
        lock (_files) _files.TryGetValue(file, out content);
        if (content == null) { c.Response.StatusCode = 404; c.Response.Close(); return; }
        long from = 0;
        string? range = c.Request.Headers["Range"];
        if (range != null && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            from = long.Parse(range[6..].TrimEnd('-').Split('-')[0]);
            c.Response.StatusCode = 206;
            c.Response.AddHeader("Content-Range", $"bytes {from}-{content.Length - 1}/{content.Length}");
        }
        c.Response.ContentLength64 = content.Length - from;
        long? cut = CutAfter;
        CutAfter = null;
        if (cut is long n && n < content.Length - from)
        {
            await c.Response.OutputStream.WriteAsync(content.AsMemory((int)from, (int)n));
            await c.Response.OutputStream.FlushAsync();
            c.Response.Abort();
            return;
        }
        await c.Response.OutputStream.WriteAsync(content.AsMemory((int)from));
        c.Response.Close();
    }

    public static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        Encoding.ASCII.GetBytes("GGUF").CopyTo(b, 0);
        return b;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _hub.Close();
        _storage.Close();
    }
}
