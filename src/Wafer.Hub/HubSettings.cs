namespace Wafer.Hub;

/// <summary>Where the Hugging Face hub is and how to talk to it, from the environment variables its own tools read:
/// <c>HF_ENDPOINT</c> (a mirror), <c>HF_TOKEN</c> (or <c>HUGGING_FACE_HUB_TOKEN</c>), <c>HF_HUB_OFFLINE</c>, and the cache
/// (<c>HF_HUB_CACHE</c>, else <c>HF_HOME</c>/hub, else ~/.cache/huggingface/hub).</summary>
public sealed record HubSettings
{
    /// <summary>The hub's base address.</summary>
    public Uri Endpoint { get; init; } = new("https://huggingface.co");

    /// <summary>A user access token sent as a bearer token to the hub (never to the hosts it redirects to, never logged).</summary>
    public string? Token { get; init; }

    /// <summary>No network: models come from the cache only.</summary>
    public bool Offline { get; init; }

    /// <summary>The hub cache's root (the folder that holds <c>models--org--name</c>).</summary>
    public string CacheDirectory { get; init; } = DefaultCache(_ => null);

    /// <summary>Settings from the process environment.</summary>
    public static HubSettings FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Settings from <paramref name="env"/> (a variable's value, or null).</summary>
    public static HubSettings FromEnvironment(Func<string, string?> env)
    {
        string? endpoint = Value(env, "HF_ENDPOINT");
        Uri uri = new("https://huggingface.co");
        if (endpoint != null && (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out uri!) || uri.Scheme is not ("http" or "https")))
            throw new HubException($"HF_ENDPOINT '{endpoint}' is not an http(s) address; set it to a mirror such as https://hf-mirror.com, or unset it");
        return new HubSettings
        {
            Endpoint = uri,
            Token = Value(env, "HF_TOKEN") ?? Value(env, "HUGGING_FACE_HUB_TOKEN"),
            Offline = Value(env, "HF_HUB_OFFLINE") is { } offline && offline.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on",
            CacheDirectory = DefaultCache(env),
        };
    }

    private static string DefaultCache(Func<string, string?> env) =>
        Value(env, "HF_HUB_CACHE") ?? Path.Combine(Value(env, "HF_HOME")
            ?? Path.Combine(Value(env, "XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface"), "hub");

    private static string? Value(Func<string, string?> env, string name) => env(name) is { Length: > 0 } v ? v : null;
}
