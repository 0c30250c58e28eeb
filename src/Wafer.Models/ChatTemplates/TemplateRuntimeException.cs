namespace Wafer.Models.ChatTemplates;

/// <summary>A runtime failure inside a built-in; the interpreter wraps it with the template position.</summary>
internal sealed class TemplateRuntimeException : Exception
{
    public TemplateRuntimeException(string message)
        : base(message)
    {
    }

    public TemplateRuntimeException()
    {
    }

    public TemplateRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True for <c>raise_exception(msg)</c>: the template rejected its input on purpose.</summary>
    public bool RaisedByTemplate { get; init; }
}
