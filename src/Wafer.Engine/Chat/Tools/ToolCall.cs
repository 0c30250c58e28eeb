namespace Wafer.Engine.Chat.Tools;

/// <summary>A function call the model made: the function's name and its arguments as JSON text (OpenAI's
/// <c>function.arguments</c>), with the id the response gives it.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments);

/// <summary>A function the model may call: name, description and the JSON schema of its arguments.</summary>
public sealed record ToolDefinition(string Name, string? Description, System.Text.Json.JsonElement Parameters);
