namespace Wafer.Models.ChatTemplates;

/// <summary>A chat template failed to parse or render; the message names the line, column and problem.</summary>
public sealed class TemplateException : Exception
{
    public TemplateException()
    {
    }

    public TemplateException(string message)
        : base(message)
    {
    }

    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal TemplateException(string problem, int line, int column, bool raisedByTemplate = false, Exception? innerException = null)
        : base($"chat template error at line {line}, column {column}: {problem}", innerException)
    {
        Problem = problem;
        Line = line;
        Column = column;
        RaisedByTemplate = raisedByTemplate;
    }

    /// <summary>The problem without the position prefix (for <c>raise_exception</c>, the template's own message).</summary>
    public string Problem { get; } = string.Empty;

    /// <summary>1-based line of the failing construct.</summary>
    public int Line { get; }

    /// <summary>1-based column of the failing construct.</summary>
    public int Column { get; }

    /// <summary>True when the template called <c>raise_exception</c> itself (a user-input error, not a template bug).</summary>
    public bool RaisedByTemplate { get; }
}
