namespace Wafer.Hub.Tests;

public class OllamaStoreTests
{
    [Theory]
    [InlineData("llama3.2", "registry.ollama.ai", "library", "llama3.2", "latest")]
    [InlineData("llama3.2:1b", "registry.ollama.ai", "library", "llama3.2", "1b")]
    [InlineData("me/mine:q8", "registry.ollama.ai", "me", "mine", "q8")]
    [InlineData("hf.co/org/repo:Q4_K_M", "hf.co", "org", "repo", "Q4_K_M")]
    public void Parse_NamesAsOllamaWritesThem(string name, string host, string ns, string model, string tag) =>
        Assert.Equal((host, ns, model, tag), OllamaStore.Parse(name));

    [Theory]
    [InlineData("")]
    [InlineData("/abs/path.gguf")]
    [InlineData("model.gguf")]
    [InlineData("a/../b")]
    [InlineData("a/b/c/d")]
    [InlineData("name:")]
    public void Parse_RejectsWhatCannotBeAName(string name) => Assert.Null(OllamaStore.Parse(name));

    [Fact]
    public void Models_ManifestWithoutAModelLayerOrBlob_IsNotListed()
    {
        string root = Directory.CreateTempSubdirectory("wafer-ollama-").FullName;
        try
        {
            string dir = Path.Combine(root, "manifests", "registry.ollama.ai", "library", "x");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "nolayer"), """{"layers":[{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:00"}]}""");
            File.WriteAllText(Path.Combine(dir, "noblob"), $$"""{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{{new string('a', 64)}}"}]}""");
            File.WriteAllText(Path.Combine(dir, "broken"), "{not json");
            Directory.CreateDirectory(Path.Combine(root, "blobs"));
            File.WriteAllBytes(Path.Combine(root, "blobs", "sha256-" + new string('b', 64)), [1, 2, 3]);
            File.WriteAllText(Path.Combine(dir, "ok"), $$"""{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{{new string('b', 64)}}"}]}""");

            var store = new OllamaStore(root);
            var model = Assert.Single(store.Models());
            Assert.Equal("x:ok", model.Name);
            Assert.Equal(3, model.Size);
            Assert.Equal(model, store.Find("x:ok"));
            Assert.Null(store.Find("x:noblob"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
