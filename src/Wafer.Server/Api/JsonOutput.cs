using System.Text.Encodings.Web;
using System.Text.Json;

namespace Wafer.Server.Api;

/// <summary>How responses are written: UTF-8 JSON without HTML-safe escaping (quotes and non-ASCII text stay readable).</summary>
internal static class JsonOutput
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
