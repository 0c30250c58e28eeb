using System.CommandLine;

namespace Wafer.Cli;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("MODEL") { Description = "GGUF file, or a model name: one on this machine (wafer ls), or org/name[:QUANT] pulled from the Hugging Face hub" };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "Worker threads, the calling thread included (default: one per physical core)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string> Spec()
    {
        var option = new Option<string>("--spec")
        {
            Description = "Speculative decoding: none, or ngram (drafts from the latest earlier occurrence of the last tokens in the prompt, the output and a request's prediction; adaptive to load)",
            DefaultValueFactory = _ => "none",
        };
        option.AcceptOnlyFromAmong("none", "ngram");
        return option;
    }

    public static Option<int> DraftTokens() => new("--draft-tokens")
    {
        Description = "Most draft tokens a sequence verifies per step (with --spec)",
        DefaultValueFactory = _ => 5,
    };

    public static Option<string> SpecCost()
    {
        var option = new Option<string>("--spec-cost")
        {
            Description = "What a draft is weighed against: measured (the step cost fitted from the steps run) or fixed (rows / 8: the same drafts on any machine)",
            DefaultValueFactory = _ => "measured",
        };
        option.AcceptOnlyFromAmong("measured", "fixed");
        return option;
    }

    public static Option<string?> Draft() => new("--draft")
    {
        Description = "Speculative decoding with a draft model: a GGUF file with the model's tokenizer, or self:Q4_0 (the model's own weights requantized at load)",
    };

    /// <summary>The engine's speculation settings from <c>--spec</c>, <c>--draft</c> and <c>--draft-tokens</c>.</summary>
    public static Wafer.Engine.Speculation.SpeculationOptions Speculation(string method, int draftTokens, string? draft = null, string cost = "measured")
    {
        if (draft != null && method == "ngram") throw new ArgumentException("give --spec ngram or --draft, not both");
        return new Wafer.Engine.Speculation.SpeculationOptions
        {
            Method = draft != null ? Wafer.Engine.Speculation.SpeculationMethod.Draft
                : method == "ngram" ? Wafer.Engine.Speculation.SpeculationMethod.Ngram : Wafer.Engine.Speculation.SpeculationMethod.None,
            Draft = draft,
            MaxDraftTokens = draftTokens,
            MeasuredCost = cost == "measured",
        }.Validate();
    }

    /// <summary><c>--kv-type TYPE</c> for keys and values, and llama.cpp's <c>-ctk</c>/<c>--cache-type-k</c> and
    /// <c>-ctv</c>/<c>--cache-type-v</c> for each alone (they win over <c>--kv-type</c>).</summary>
    public static (Option<string> Both, Option<string?> Keys, Option<string?> Values) KvType(string defaultType) =>
    (
        new Option<string>("--kv-type") { Description = $"KV cache type of keys and values: {Wafer.Models.Inference.KvTypes.Names}", DefaultValueFactory = _ => defaultType },
        new Option<string?>("--cache-type-k", "-ctk") { Description = "KV cache type of the keys alone (as llama.cpp's -ctk)" },
        new Option<string?>("--cache-type-v", "-ctv") { Description = "KV cache type of the values alone (as llama.cpp's -ctv)" }
    );

    /// <summary>The key and value types the three options of <see cref="KvType"/> ask for.</summary>
    public static (Wafer.Models.Inference.KvType Keys, Wafer.Models.Inference.KvType Values) KvTypes(ParseResult r,
        (Option<string> Both, Option<string?> Keys, Option<string?> Values) options)
    {
        var both = Wafer.Models.Inference.KvTypes.Parse(r.GetValue(options.Both)!, "--kv-type");
        return (r.GetValue(options.Keys) is { } k ? Wafer.Models.Inference.KvTypes.Parse(k, "-ctk") : both,
            r.GetValue(options.Values) is { } v ? Wafer.Models.Inference.KvTypes.Parse(v, "-ctv") : both);
    }

    public static Option<bool> NoRepack() => new("--no-repack")
    {
        Description = "Multiply from the GGUF layout as mapped instead of repacking Q8_0/Q4_0/Q5_0 weights into 8 interleaved rows at load (slower prompts, less memory)",
    };
}
