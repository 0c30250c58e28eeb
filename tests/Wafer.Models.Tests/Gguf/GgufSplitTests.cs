using Wafer.Models.Gguf;

namespace Wafer.Models.Tests.Gguf;

/// <summary>A model split into several GGUF files (llama.cpp's gguf-split layout) opens as one, from any of its parts.</summary>
public class GgufSplitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wafer-split-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SplitIntoThree_OpenFromAnyPart_SameMetadataAndTensorBytes(int openPart)
    {
        using var whole = GgufFile.Open(Repository.DefaultModel);
        var paths = GgufSplit.Write(whole, Path.Combine(_dir, "stories"), 3);
        Assert.Equal(["stories-00001-of-00003.gguf", "stories-00002-of-00003.gguf", "stories-00003-of-00003.gguf"], paths.Select(Path.GetFileName));

        using var split = GgufFile.Open(paths[openPart - 1]);
        Assert.Equal(paths, split.PartPaths);
        Assert.Equal(paths[0], split.Path);
        Assert.Equal(whole.Metadata.GetString("general.architecture"), split.Metadata.GetString("general.architecture"));
        Assert.Equal(whole.Tensors.Select(t => t.Name), split.Tensors.Select(t => t.Name));
        Assert.Equal([0, 1, 2], split.Tensors.Select(t => t.Part).Distinct());
        foreach (var t in whole.Tensors)
            Assert.True(whole.Data(t).SequenceEqual(split.Data(split.GetTensor(t.Name))), t.Name);
        Assert.Equal(paths.Sum(p => new FileInfo(p).Length), split.FileBytes);
    }

    [Fact]
    public void MissingPart_NamesIt()
    {
        using var whole = GgufFile.Open(Repository.DefaultModel);
        var paths = GgufSplit.Write(whole, Path.Combine(_dir, "stories"), 2);
        File.Delete(paths[1]);
        var e = Assert.Throws<FileNotFoundException>(() => GgufFile.Open(paths[0]));
        Assert.Contains("part 2 ('stories-00002-of-00002.gguf') is missing", e.Message);
    }

    [Theory]
    [InlineData("other-00001-of-00003.gguf", "its name says 3 parts, its split.count says 2")]
    [InlineData("stories.gguf", "is part 1 of 2")]
    public void FirstPartUnderAnotherName_Refused(string name, string message)
    {
        using var whole = GgufFile.Open(Repository.DefaultModel);
        var paths = GgufSplit.Write(whole, Path.Combine(_dir, "stories"), 2);
        string renamed = Path.Combine(_dir, name);
        File.Copy(paths[0], renamed);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(renamed));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("a/model-00002-of-00004.gguf", "a/model", 2, 4)]
    [InlineData("Qwen2.5-7B-Instruct-Q4_K_M-00001-of-00002.GGUF", "Qwen2.5-7B-Instruct-Q4_K_M", 1, 2)]
    public void SplitName_Parses(string path, string prefix, int number, int count) =>
        Assert.Equal(new SplitName(prefix, number, count), SplitName.Parse(path));

    [Theory]
    [InlineData("model.gguf")]
    [InlineData("model-00003-of-00002.gguf")]
    [InlineData("model-1-of-2.gguf")]
    public void SplitName_WholeModels_Null(string path) => Assert.Null(SplitName.Parse(path));
}
