using System.Text.Encodings.Web;
using System.Text.Json;

namespace Wafer.OpenAi.Json;

/// <summary>How Wafer writes OpenAI JSON: non-ASCII text as UTF-8 rather than \u escapes, as OpenAI and vLLM do.</summary>
public static class OpenAiJsonOptions
{
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
