using System.Text.Json;
using Wafer.Models.ChatTemplates;

namespace Wafer.Models.Tests.ChatTemplates;

/// <summary>Renders small templates with a fixed date and optional JSON variables.</summary>
internal static class TemplateHarness
{
    public static readonly DateTimeOffset Date = new(2026, 11, 23, 9, 5, 0, TimeSpan.Zero);

    public static string Render(string source, string variablesJson = "{}")
    {
        using var variables = JsonDocument.Parse(variablesJson);
        var extra = variables.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        return ChatTemplate.Parse(source).Render(new ChatTemplateContext
        {
            Messages = JsonSerializer.SerializeToElement(Array.Empty<object>()),
            Now = Date,
            ExtraVariables = extra,
        });
    }
}
