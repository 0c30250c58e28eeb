using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wafer.Hub;

/// <summary>One file of a hub repository as the tree API lists it.</summary>
/// <param name="Path">Its path in the repository ('/' separated).</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">The SHA-256 of an LFS file (its <c>lfs.oid</c>), or null for a file kept in git.</param>
public sealed record HubFile(string Path, long Size, string? Sha256);

/// <summary>What the hub says about one file of one revision before it is downloaded (a HEAD of its resolve address).</summary>
/// <param name="Commit">The commit the revision resolves to (<c>X-Repo-Commit</c>).</param>
/// <param name="Etag">The file's content id: the SHA-256 of an LFS file (<c>X-Linked-Etag</c>), a git blob id otherwise.</param>
/// <param name="Size">Bytes (<c>X-Linked-Size</c> or <c>Content-Length</c>).</param>
public sealed record HubFileMetadata(string Commit, string Etag, long Size);

/// <summary>Progress of one download.</summary>
/// <param name="File">The repository path being downloaded.</param>
/// <param name="Done">Bytes on disk so far (a resumed download starts at what was there).</param>
/// <param name="Total">Bytes of the file.</param>
public readonly record struct DownloadProgress(string File, long Done, long Total);

/// <summary>A client of the Hugging Face hub's HTTP protocol: the tree API to list a repository, a HEAD of
/// <c>/{repo}/resolve/{revision}/{file}</c> for the commit and the content hash, and a GET of it (redirects followed by
/// hand: the token goes to the hub only, never to the storage host it redirects to) that resumes with a range request and
/// checks the hash before the file is kept.</summary>
public sealed partial class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly HubSettings _settings;

    /// <summary>A client with <paramref name="settings"/>; <paramref name="handler"/> replaces the network (tests).</summary>
    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) }, disposeHandler: handler == null)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("wafer/1.0");
    }

    /// <summary>Bytes received from the network by this client's downloads.</summary>
    public long BytesDownloaded { get; private set; }

    /// <summary>Every file of <paramref name="repository"/> at <paramref name="revision"/> (the tree API, recursive, all pages).</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repository, string revision, CancellationToken cancellationToken = default)
    {
        var files = new List<HubFile>();
        Uri? next = new(_settings.Endpoint, $"/api/models/{repository}/tree/{Uri.EscapeDataString(revision)}?recursive=true");
        for (int page = 0; next != null && page < 1000; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, next, null, repository, revision, null, cancellationToken).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body);
                foreach (var entry in doc.RootElement.EnumerateArray())
                {
                    if (entry.TryGetProperty("type", out var type) && type.GetString() != "file") continue;
                    string path = entry.GetProperty("path").GetString()!;
                    long size = entry.TryGetProperty("size", out var s) ? s.GetInt64() : 0;
                    string? sha = null;
                    if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                    {
                        sha = lfs.TryGetProperty("oid", out var oid) ? oid.GetString() : null;
                        if (lfs.TryGetProperty("size", out var ls)) size = ls.GetInt64();
                    }
                    files.Add(new HubFile(path, size, sha));
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                throw new HubException($"{_settings.Endpoint} answered the file list of '{repository}' with something that is not the hub's tree JSON ({e.Message}); is HF_ENDPOINT a Hugging Face hub?", e);
            }
            next = NextPage(response);
        }
        return files;
    }

    /// <summary>The commit, content hash and size of <paramref name="path"/> (a HEAD of its resolve address; the hub's
    /// redirect to its storage is not followed: the headers are on the redirect).</summary>
    public async Task<HubFileMetadata> GetMetadataAsync(string repository, string revision, string path, CancellationToken cancellationToken = default)
    {
        var uri = ResolveUri(repository, revision, path);
        using var response = await SendAsync(HttpMethod.Head, uri, null, repository, revision, path, cancellationToken, followToOtherHosts: false).ConfigureAwait(false);
        string? commit = Header(response, "X-Repo-Commit");
        string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
        long size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked : response.Content.Headers.ContentLength ?? -1;
        if (commit == null || etag == null || size < 0)
            throw new HubException($"{_settings.Endpoint} did not say which commit and content '{repository}/{path}' has (no X-Repo-Commit / ETag / size headers); is HF_ENDPOINT a Hugging Face hub?");
        return new HubFileMetadata(commit, NormalizeEtag(etag), size);
    }

    /// <summary>Downloads <paramref name="path"/> into <paramref name="blobPath"/>: bytes go to <c>blobPath.incomplete</c>
    /// (resumed from what is there with a range request), the whole is checked against <paramref name="metadata"/>'s size
    /// and hash, and only then renamed. A cut connection leaves the partial file for the next try; a hash mismatch deletes it.</summary>
    public async Task DownloadAsync(string repository, string revision, string path, HubFileMetadata metadata, string blobPath,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        string partial = blobPath + ".incomplete";
        using var hash = new ContentHash(metadata.Etag, metadata.Size);
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > metadata.Size) have = 0;
        await using (var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            file.SetLength(have);
            if (have > 0) await hash.AppendAsync(file, have, cancellationToken).ConfigureAwait(false);
            file.Position = have;
            progress?.Report(new DownloadProgress(path, have, metadata.Size));
            if (have < metadata.Size)
            {
                using var response = await SendAsync(HttpMethod.Get, ResolveUri(repository, revision, path), have > 0 ? new RangeHeaderValue(have, null) : null,
                    repository, revision, path, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK && have > 0)
                {
                    // The host ignored the range: start over.
                    have = 0;
                    file.SetLength(0);
                    hash.Reset();
                }
                else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From is long from && from != have)
                {
                    throw new HubException($"the server answered a resumed download of '{path}' from byte {from}, not {have}; delete {partial} and pull again");
                }
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var buffer = new byte[1 << 20];
                while (true)
                {
                    int n;
                    try
                    {
                        n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException)
                    {
                        await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        throw Interrupted(path, have, metadata.Size, partial, e);
                    }
                    if (n == 0) break;
                    if (have + n > metadata.Size)
                        throw new HubException($"the download of '{path}' is longer than the {metadata.Size} bytes the hub announced; delete {partial} and pull again");
                    try
                    {
                        await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException e)
                    {
                        throw DiskError(partial, e);
                    }
                    hash.Append(buffer.AsSpan(0, n));
                    have += n;
                    BytesDownloaded += n;
                    progress?.Report(new DownloadProgress(path, have, metadata.Size));
                }
                if (have < metadata.Size)
                    throw Interrupted(path, have, metadata.Size, partial, null);
            }
            try
            {
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw DiskError(partial, e);
            }
        }
        string actual = hash.Finish();
        if (!string.Equals(actual, metadata.Etag, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw new HubException($"'{path}' downloaded with {hash.Name} {actual}, but the hub says {metadata.Etag}: the file is corrupt and was deleted; run the pull again");
        }
        File.Move(partial, blobPath, overwrite: true);
    }

    private HubException Interrupted(string path, long have, long total, string partial, Exception? e) =>
        new($"the download of '{path}' stopped after {have:N0} of {total:N0} bytes ({(e == null ? "the connection closed early" : e.GetBaseException().Message)}); "
            + $"run the same command again to resume from {partial}", e);

    private static HubException DiskError(string partial, IOException e) =>
        new(IsDiskFull(e)
            ? $"the disk is full writing {partial} ({e.Message}); free space there or point HF_HOME (or HF_HUB_CACHE) at a larger disk, then pull again to resume"
            : $"cannot write {partial}: {e.Message}", e);

    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is 28 or 0x70 or 0x27 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private Uri ResolveUri(string repository, string revision, string path) =>
        new(_settings.Endpoint, $"/{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>Sends a request, following redirects by hand (relative ones always; to other hosts only when
    /// <paramref name="followToOtherHosts"/>, and then without the token), and turns the hub's error answers into one-line
    /// <see cref="HubException"/>s.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, RangeHeaderValue? range, string repository, string revision, string? path,
        CancellationToken cancellationToken, bool followToOtherHosts = true)
    {
        bool sendToken = true;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (range != null) request.Headers.Range = new RangeHeaderValue { Ranges = { new RangeItemHeaderValue(range.Ranges.First().From, range.Ranges.First().To) } };
            if (sendToken && _settings.Token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new HubException($"cannot reach {uri.GetLeftPart(UriPartial.Authority)} ({e.GetBaseException().Message}); check the network, set HF_ENDPOINT to a mirror, or set HF_HUB_OFFLINE=1 to use the models already in the cache", e);
            }
            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var target = location.IsAbsoluteUri ? location : new Uri(uri, location);
                bool otherHost = !string.Equals(target.Authority, uri.Authority, StringComparison.OrdinalIgnoreCase) || target.Scheme != uri.Scheme;
                if (otherHost && !followToOtherHosts) return response;
                response.Dispose();
                if (hop >= MaxRedirects) throw new HubException($"{uri} redirected more than {MaxRedirects} times; is HF_ENDPOINT a Hugging Face hub?");
                if (otherHost) sendToken = false;
                uri = target;
                if (method == HttpMethod.Head && otherHost) method = HttpMethod.Head;
                continue;
            }
            if (response.IsSuccessStatusCode || (status == 416 && range != null)) return response;
            using (response) throw await ErrorAsync(response, repository, revision, path, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<HubException> ErrorAsync(HttpResponseMessage response, string repository, string revision, string? path, CancellationToken cancellationToken)
    {
        string code = Header(response, "X-Error-Code") ?? "";
        string message = Header(response, "X-Error-Message") ?? "";
        if (message.Length == 0 && response.RequestMessage?.Method != HttpMethod.Head)
        {
            try
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String) message = error.GetString()!;
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
            }
        }
        string endpoint = _settings.Endpoint.ToString().TrimEnd('/');
        string detail = message.Length > 0 ? $" (\"{message}\")" : "";
        int status = (int)response.StatusCode;
        return (status, code) switch
        {
            (_, "RepoNotFound") or (404, _) when path == null || code == "RepoNotFound" =>
                new HubException($"no model repository '{repository}' on {endpoint}{detail}; check the name (org/name), or if it is private set HF_TOKEN to a token that can read it"),
            (_, "RevisionNotFound") => new HubException($"'{repository}' has no revision '{revision}'{detail}; use a branch, tag or commit it has (default: main)"),
            (_, "EntryNotFound") or (404, _) => new HubException($"'{repository}' at '{revision}' has no file '{path}'{detail}; wafer pull {repository} lists what it has"),
            (_, "GatedRepo") => new HubException($"'{repository}' is gated{detail}: accept its terms at {endpoint}/{repository} and set HF_TOKEN to a token of that account"),
            (401, _) when _settings.Token != null => new HubException($"the hub refused the token in HF_TOKEN for '{repository}' (401 Unauthorized{detail}); create a read token at {endpoint}/settings/tokens and set HF_TOKEN to it"),
            (401, _) => new HubException($"'{repository}' needs a token (401 Unauthorized{detail}); set HF_TOKEN to a read token from {endpoint}/settings/tokens"),
            (403, _) => new HubException($"the hub denied access to '{repository}' (403 Forbidden{detail}); check that HF_TOKEN's account may read it"),
            (429, _) => new HubException($"the hub is rate-limiting these requests (429{detail}); wait a minute and try again, or set HF_TOKEN for a higher limit"),
            _ => new HubException($"{endpoint} answered {status} {response.ReasonPhrase} for '{repository}'{(path != null ? "/" + path : "")}{detail}; try again later"),
        };
    }

    private static Uri? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links)
        {
            var m = NextLinkPattern().Match(link);
            if (m.Success && Uri.TryCreate(response.RequestMessage!.RequestUri!, m.Groups[1].Value, out var next)) return next;
        }
        return null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    private static string NormalizeEtag(string etag)
    {
        string e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"').ToLowerInvariant();
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<([^>]+)>\\s*;\\s*rel=\"?next\"?", RegexOptions.IgnoreCase)]
    private static partial Regex NextLinkPattern();

    /// <summary>The hash an etag names: SHA-256 for LFS files (64 hex digits), git's blob SHA-1 otherwise (40).</summary>
    private sealed class ContentHash : IDisposable
    {
        private readonly IncrementalHash _hash;
        private readonly bool _gitBlob;
        private readonly long _size;

        public ContentHash(string etag, long size)
        {
            _size = size;
            _gitBlob = etag.Length == 40;
            if (etag.Length is not (40 or 64) || !etag.All(char.IsAsciiHexDigit))
                throw new HubException($"the hub's content id '{etag}' is neither a SHA-256 nor a git blob id; is HF_ENDPOINT a Hugging Face hub?");
            _hash = IncrementalHash.CreateHash(_gitBlob ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
            Reset();
        }

        public string Name => _gitBlob ? "git blob SHA-1" : "SHA-256";

        public void Reset()
        {
            _hash.GetHashAndReset();
            if (_gitBlob) _hash.AppendData(Encoding.ASCII.GetBytes($"blob {_size}\0"));
        }

        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public async Task AppendAsync(Stream file, long count, CancellationToken cancellationToken)
        {
            file.Position = 0;
            var buffer = new byte[1 << 20];
            for (long done = 0; done < count;)
            {
                int n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - done)), cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                _hash.AppendData(buffer.AsSpan(0, n));
                done += n;
            }
        }

        public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public void Dispose() => _hash.Dispose();
    }
}
