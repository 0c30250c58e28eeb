using System.Text.Json.Nodes;
using Wafer.Router.Forwarding;

namespace Wafer.Router.Cascade;

/// <summary>The request body a cascade sends: the client's, plus logprobs (for the confidence check) and, when streaming, usage (for the cost).</summary>
internal static class CascadeBody
{
    public static byte[] For(RouterRequest request)
    {
        if (request.HasLogprobs && !request.Stream) return request.Body;
        var root = JsonNode.Parse(request.Body)!.AsObject();
        if (!request.HasLogprobs) root["logprobs"] = request.IsChat ? JsonValue.Create(true) : JsonValue.Create(1);
        if (request.Stream) root["stream_options"] = new JsonObject { ["include_usage"] = true };
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
