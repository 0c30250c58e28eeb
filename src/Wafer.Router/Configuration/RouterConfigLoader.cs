using System.Globalization;
using System.Text.Json;
using Wafer.Router.Policies;

namespace Wafer.Router.Configuration;

/// <summary>Reads router.json and validates it; every error names the field and the fix.</summary>
public static class RouterConfigLoader
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true, // "routes": null is an error naming the field, not a NullReferenceException later
        AllowDuplicateProperties = false, // two "routes" in one object is a mistake, not "the last one wins"
    };

    /// <summary>Loads and validates the file; throws FileNotFoundException or InvalidDataException.</summary>
    public static RouterConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"router config '{path}' does not exist; pass --config router.json", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates JSON text; <paramref name="source"/> names it in errors.</summary>
    public static RouterConfig Parse(string json, string source)
    {
        RouterConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<RouterConfig>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"router config '{source}': {e.Message} (field names: backends[].name/url/discover/models/apiKey/weight/tier/costPer1kInput/costPer1kOutput, routes[].model/backends/policy/…)", e);
        }
        if (config == null) throw new InvalidDataException($"router config '{source}' is empty; expected {{\"backends\": [...], \"routes\": [...]}}");
        Validate(config, source);
        return config;
    }

    private static void Validate(RouterConfig config, string source)
    {
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Fail(string message) => throw new InvalidDataException($"router config '{source}': {message}");
        if (config.Backends.Count == 0) Fail("'backends' is empty; add at least one {\"name\": \"r0\", \"url\": \"http://127.0.0.1:8081\", \"models\": [\"m\"]}");
        if (config.Routes.Count == 0) Fail("'routes' is empty; add at least one {\"model\": \"m\", \"backends\": [\"r0\"]}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Backends.Count; i++)
        {
            var b = config.Backends[i];
            string at = $"backends[{i}]";
            if (b is null) Fail($"{at} is null; each backend is an object such as {{\"name\": \"r0\", \"url\": \"http://127.0.0.1:8081\"}}");
            if (string.IsNullOrWhiteSpace(b.Name)) Fail($"{at}.name is missing; give each backend a unique name");
            if (!names.Add(b.Name)) Fail($"{at}.name '{b.Name}' is used twice; backend names must be unique");
            if (b.Discover is { } discover)
            {
                if (b.Url.Length > 0) Fail($"{at} has both 'url' and 'discover'; a backend is one address or a discovered group, not both");
                if (b.Name.Contains('/', StringComparison.Ordinal)) Fail($"{at}.name '{b.Name}' contains '/'; discovered replicas are named GROUP/ADDRESS:PORT, so a group's name cannot");
                ValidateDiscovery(discover, $"{at}.discover", Fail);
            }
            else if (!IsHttpUrl(b.Url))
                Fail($"{at}.url '{b.Url}' is not an absolute http(s) address; write e.g. \"http://127.0.0.1:8081\" (or \"discover\": {{\"kubernetes\": {{\"service\": \"wafer-serve\"}}}} for replicas found in a cluster)");
            if (b.Weight <= 0) Fail($"{at}.weight is {Num(b.Weight)}; it must be > 0");
            if (b.CostPer1kInput < 0 || b.CostPer1kOutput < 0) Fail($"{at}: costs must be >= 0");
        }
        var models = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Routes.Count; i++)
        {
            var r = config.Routes[i];
            string at = $"routes[{i}]";
            if (r is null) Fail($"{at} is null; each route is an object such as {{\"model\": \"m\", \"backends\": [\"r0\"]}}");
            if (string.IsNullOrWhiteSpace(r.Model)) Fail($"{at}.model is missing; name the model clients send");
            if (!models.Add(r.Model)) Fail($"{at}.model '{r.Model}' has two routes; merge them");
            if (r.Backends.Count == 0) Fail($"{at}.backends is empty; list backend names, e.g. [\"r0\", \"r1\"]");
            foreach (var name in r.Backends)
            {
                if (!names.Contains(name)) Fail($"{at}.backends names '{name}', which is not a backend; defined: {string.Join(", ", names)}");
                var backend = config.Backends.First(b => b.Name == name);
                if (backend.Models.Count > 0 && !backend.Models.Contains(r.Model))
                    Fail($"{at}: backend '{name}' does not list model '{r.Model}' in its models ({string.Join(", ", backend.Models)}); add it there or drop the backend from the route");
            }
            if (!RoutingPolicies.IsKnown(r.Policy)) Fail($"{at}.policy '{r.Policy}' is unknown; use one of: {string.Join(", ", RoutingPolicies.Names)}");
            if (r.MaxAttempts is < 1 or > 10) Fail($"{at}.maxAttempts is {r.MaxAttempts}; use 1–10");
            if (r.RetryBudgetRatio is < 0 or > 1) Fail($"{at}.retryBudgetRatio is {Num(r.RetryBudgetRatio)}; use 0–1 (0.1 = 10 % extra requests)");
            if (r.FirstTokenTimeoutMs <= 0) Fail($"{at}.firstTokenTimeoutMs must be > 0");
            if (r.PrefixChars < 1) Fail($"{at}.prefixChars must be >= 1");
            if (r.LoadFactor < 1) Fail($"{at}.loadFactor is {Num(r.LoadFactor)}; it must be >= 1 (1.25 is typical)");
            if (r.Hedging is { } h)
            {
                if (h.DelayMs < 0 || h.MinDelayMs < 0) Fail($"{at}.hedging delays must be >= 0 ms");
                if (h.Percentile is < 0.5 or > 0.999) Fail($"{at}.hedging.percentile is {Num(h.Percentile)}; use 0.5–0.999");
                if (h.BudgetRatio is < 0 or > 1) Fail($"{at}.hedging.budgetRatio is {Num(h.BudgetRatio)}; use 0–1 (0.05 = 5 % extra requests)");
            }
            if (r.Cascade.StreamDecisionTokens < 1) Fail($"{at}.cascade.streamDecisionTokens must be >= 1");
        }
        var health = config.Health;
        if (health.ProbeIntervalMs < 0 || health.ProbeTimeoutMs <= 0) Fail("health.probeIntervalMs must be >= 0 and health.probeTimeoutMs > 0");
        if (health.FailureRatio is <= 0 or > 1) Fail($"health.failureRatio is {Num(health.FailureRatio)}; use a value in (0, 1]");
        if (health.MinimumThroughput < 2) Fail("health.minimumThroughput must be >= 2");
        if (health.SamplingWindowMs < 500 || health.BreakMs < 500) Fail("health.samplingWindowMs and health.breakMs must be >= 500 (Polly's minimum)");
        if (config.RateLimits is { } limits)
        {
            if (limits.RequestsPerMinute < 0 || limits.TokensPerMinute < 0) Fail("rateLimits values must be >= 0 (0 = unlimited)");
            foreach (var (key, l) in limits.Keys)
                if (l is null) Fail($"rateLimits.keys['{key}'] is null; give it {{\"requestsPerMinute\": N}} or remove it");
                else if (l.RequestsPerMinute < 0 || l.TokensPerMinute < 0) Fail($"rateLimits.keys['{key}'] values must be >= 0");
        }
    }

    private static void ValidateDiscovery(DiscoveryConfig d, string at, Action<string> fail)
    {
        if ((d.Kubernetes == null) == (d.Dns == null))
            fail($"{at} needs exactly one of 'kubernetes' ({{\"service\": \"wafer-serve\", \"portName\": \"http\"}}) or 'dns' ({{\"host\": \"wafer-serve-headless\", \"port\": 8080}})");
        if (d.Scheme is not ("http" or "https")) fail($"{at}.scheme '{d.Scheme}' is not http or https");
        if (d.Kubernetes is { } k)
        {
            if (string.IsNullOrWhiteSpace(k.Service)) fail($"{at}.kubernetes.service is missing; name the Service whose endpoints are the replicas");
            if (k.PortName != null && k.Port != null) fail($"{at}.kubernetes has both 'portName' and 'port'; give one");
            if (k.Port is < 1 or > 65535) fail($"{at}.kubernetes.port {k.Port} is not a port; use 1–65535");
            if (k.Namespace is { Length: 0 }) fail($"{at}.kubernetes.namespace is empty; leave it out for the router's own namespace");
            if (k.ApiServer != null && !IsHttpUrl(k.ApiServer))
                fail($"{at}.kubernetes.apiServer '{k.ApiServer}' is not an absolute http(s) address; leave it out inside a cluster");
        }
        if (d.Dns is { } dns)
        {
            if (string.IsNullOrWhiteSpace(dns.Host)) fail($"{at}.dns.host is missing; name the host to resolve, e.g. a headless Service");
            if (dns.Port is < 1 or > 65535) fail($"{at}.dns.port {dns.Port} is not a port; use 1–65535");
            if (dns.IntervalMs < 100) fail($"{at}.dns.intervalMs is {Num(dns.IntervalMs)}; use >= 100");
        }
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);
}
