namespace Wafer.Models;

/// <summary>A parameter of a request is invalid; <see cref="Parameter"/> names it the way the OpenAI API does
/// (e.g. <c>temperature</c>, <c>max_tokens</c>, <c>prompt</c>) so the HTTP edge can answer 400 with it.</summary>
public sealed class InvalidParameterException(string parameter, string message, string code = "invalid_value") : ArgumentException(message)
{
    /// <summary>The parameter's name (OpenAI spelling).</summary>
    public string Parameter { get; } = parameter;

    /// <summary>A machine-readable code, e.g. <c>invalid_value</c> or <c>context_length_exceeded</c>.</summary>
    public string Code { get; } = code;
}
