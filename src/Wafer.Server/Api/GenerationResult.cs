using System.Text;
using Wafer.Engine.Execution;
using Wafer.Engine.Requests;

namespace Wafer.Server.Api;

/// <summary>A finished (non-streamed) generation: its text, per-token logprobs and usage.</summary>
internal sealed class GenerationResult
{
    public StringBuilder Text { get; } = new();
    public List<(int Token, TokenLogprobs Logprobs)> Logprobs { get; } = [];
    public FinishReason? FinishReason { get; set; }
    public GenerationUsage? Usage { get; set; }

    public void Add(TokenEvent e)
    {
        Text.Append(e.Text);
        if (e.Logprobs != null && e.Token >= 0) Logprobs.Add((e.Token, e.Logprobs));
        if (e.FinishReason != null) FinishReason = e.FinishReason;
        if (e.Usage != null) Usage = e.Usage;
    }

    /// <summary>True when the generation was cut (max tokens or the end of the context) rather than ending by itself.</summary>
    public bool Truncated => FinishReason is Engine.Requests.FinishReason.Length or Engine.Requests.FinishReason.ContextLength;

    public static string FinishText(FinishReason? reason) => reason switch
    {
        Engine.Requests.FinishReason.Length or Engine.Requests.FinishReason.ContextLength => "length",
        _ => "stop",
    };
}
