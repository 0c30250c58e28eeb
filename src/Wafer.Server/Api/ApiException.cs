namespace Wafer.Server.Api;

/// <summary>An error the client caused (or must wait out), answered with OpenAI's error JSON.</summary>
public sealed class ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    /// <summary>Seconds for a Retry-After header (429/503).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadParameter(string param, string message) => new(400, message, param: param, code: "invalid_value");

    /// <summary>This error in another API's words: each chat-completions field name (<c>Chat</c>, e.g. <c>max_tokens</c> or
    /// <c>tools[i].function.parameters</c> with <c>[i]</c> for any index) that the request spelled otherwise (<c>Own</c>) is
    /// renamed in <see cref="Param"/> and in the message, so an error names the field the client sent.</summary>
    public ApiException Renamed(params (string Chat, string Own)[] names)
    {
        string? param = Param;
        string message = Message;
        foreach (var (chat, own) in names)
        {
            string name = System.Text.RegularExpressions.Regex.Escape(chat).Replace(@"\[i]", @"\[(\d+)]");
            string replacement = own.Replace("[i]", "[$1]");
            // In the param: the field itself or a path below it; in the message: where it is quoted ('max_tokens', 'tools[0].…').
            if (param != null) param = System.Text.RegularExpressions.Regex.Replace(param, "^" + name + @"(?=$|[.\[])", replacement);
            message = System.Text.RegularExpressions.Regex.Replace(message, "(?<=')" + name + @"(?=['.\[])", replacement);
        }
        return new ApiException(Status, message, Type, param, Code) { RetryAfterSeconds = RetryAfterSeconds };
    }
}
