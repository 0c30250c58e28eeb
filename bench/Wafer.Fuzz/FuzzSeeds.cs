using System.Text;
using Wafer.Kernels;
using Wafer.Models.ChatTemplates;
using Wafer.Models.Gguf;

namespace Wafer.Fuzz;

/// <summary>The seed corpus of each target: small valid inputs, as AFL wants them (a few KB at most).</summary>
internal static class FuzzSeeds
{
    public static int Write(string target, string dir)
    {
        Directory.CreateDirectory(dir);
        var seeds = Seeds(target).ToList();
        for (int i = 0; i < seeds.Count; i++) File.WriteAllBytes(Path.Combine(dir, $"seed-{i:D2}.bin"), seeds[i]);
        return seeds.Count;
    }

    private static IEnumerable<byte[]> Seeds(string target)
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        switch (target)
        {
            case "gguf":
                var writer = new GgufWriter();
                writer.Metadata.Set("general.architecture", GgufValueType.String, "llama");
                writer.Metadata.Set("tokenizer.ggml.model", GgufValueType.String, "llama");
                writer.Metadata.Set("tokenizer.ggml.tokens", GgufValueType.Array, new[] { "<unk>", "<s>", "</s>", "<0x41>", "▁a", "a" });
                writer.Metadata.Set("tokenizer.ggml.scores", GgufValueType.Array, new[] { 0f, 0f, 0f, 0f, -1f, -2f });
                writer.Metadata.Set("tokenizer.ggml.token_type", GgufValueType.Array, new[] { 2, 3, 3, 6, 1, 1 });
                writer.Metadata.Set("tokenizer.chat_template", GgufValueType.String, "{% for m in messages %}{{ m['content'] }}{% endfor %}");
                writer.AddTensor("a", GgmlType.F32, [8, 2], new byte[64]);
                using (var stream = new MemoryStream())
                {
                    writer.Write(stream);
                    yield return stream.ToArray();
                }
                using (var model = GgufFile.Open(FuzzTargets.ModelPath))
                    yield return File.ReadAllBytes(FuzzTargets.ModelPath)[..(int)model.DataOffset]; // the real header, its data cut off
                break;
            case "template":
                foreach (string name in ChatTemplateResolver.BuiltInNames) yield return B(ChatTemplateResolver.Resolve(name).Source);
                yield return B("{% macro f(x) %}{{ x|tojson }}{% endmacro %}{% for m in messages %}{{ f(m) }}{% if loop.last %}!{% endif %}{% endfor %}\0[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]");
                break;
            case "tokenizer":
                yield return B("Once upon a time, there was a little girl named Lily.");
                yield return B("<s>naïve café 日本語 🐕\n\t  x");
                break;
            case "router-config":
                yield return B("""{"backends": [{"name": "r0", "url": "http://127.0.0.1:8081", "models": ["m"], "weight": 2}], "routes": [{"model": "m", "backends": ["r0"], "policy": "prefix-affinity", "hedging": {"adaptive": true}}], "health": {"breakMs": 2000}, "rateLimits": {"keys": {"k": {"requestsPerMinute": 6}}}}""");
                break;
            case "http":
                yield return [0, .. B("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"temperature":0.5,"stop":["\n"],"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}}""")];
                yield return [1, .. B("""{"prompt":"Once","max_tokens":2,"logprobs":1,"logit_bias":{"5":-100}}""")];
                yield return [2, .. B("""{"input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"max_output_tokens":2}""")];
                yield return [3, .. B("""{"max_tokens":2,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}""")];
                yield return [4, .. B("""{"input":["a",[1,2]],"dimensions":8}""")];
                break;
        }
    }
}
