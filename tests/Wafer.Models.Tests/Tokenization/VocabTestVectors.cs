namespace Wafer.Models.Tests.Tokenization;

/// <summary>llama.cpp's test-tokenizer-0 vectors: a .inp file of strings and a .out file of expected ids per string.</summary>
internal static class VocabTestVectors
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    public static IReadOnlyList<(string Text, int[] Ids)> Load(string ggufPath)
    {
        string[] inputs = File.ReadAllText(ggufPath + ".inp").Split(Separator);
        string[] outputs = File.ReadAllText(ggufPath + ".out").Split('\n');
        // Usually the .inp file ends with a separator, leaving an empty last element; gemma-4's does not.
        int count = inputs[^1].Length == 0 ? inputs.Length - 1 : inputs.Length;
        var result = new List<(string, int[])>(count);
        for (int i = 0; i < count; i++)
        {
            int[] ids = outputs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            result.Add((inputs[i], ids));
        }
        return result;
    }
}
