namespace Wafer.Router.Tests.Support;

/// <summary>Builds router.json text for tests.</summary>
internal static class Configs
{
    public static string Backend(string name, Uri url, string models = "\"m\"", string extra = "") =>
        $"{{\"name\": \"{name}\", \"url\": \"{url.ToString().TrimEnd('/')}\", \"models\": [{models}]{(extra.Length > 0 ? ", " + extra : "")}}}";

    public static string Router(IEnumerable<string> backends, IEnumerable<string> routes, string extra = "") =>
        $"{{\"backends\": [{string.Join(", ", backends)}], \"routes\": [{string.Join(", ", routes)}]{(extra.Length > 0 ? ", " + extra : "")}}}";

    public static string Route(string model, IEnumerable<string> backends, string policy = "round-robin", string extra = "") =>
        $"{{\"model\": \"{model}\", \"backends\": [{string.Join(", ", backends.Select(b => $"\"{b}\""))}], \"policy\": \"{policy}\"{(extra.Length > 0 ? ", " + extra : "")}}}";
}
