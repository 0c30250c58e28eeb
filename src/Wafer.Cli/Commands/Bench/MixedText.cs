using System.Globalization;
using System.Text;

namespace Wafer.Cli.Commands.Bench;

/// <summary>Deterministic benchmark text: English prose, code, numbers, CJK, emoji and accented words, from a seeded generator.</summary>
/// <remarks>Shares by segment (not by byte): prose 50 %, code 20 %, numbers 10 %, CJK/Hangul/kana 10 %, accented and non-Latin words 5 %, emoji 5 %.</remarks>
internal static class MixedText
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this",
        "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one", "all", "we",
        "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "model", "token", "server",
        "request", "memory", "quickly", "beautiful", "understanding", "international", "relationship", "tokenizer", "batch",
        "throughput", "latency", "river", "mountain", "library", "yesterday", "children", "question", "answer", "because", "through",
    ];

    private static readonly string[] CodeLines =
    [
        "for (int i = 0; i < {n}; ++i) {{ sum += a[i] * {n}; }}\n",
        "def {w}_{n}(x, y=None):\n    return x ** 2 + {n}  # {w}\n",
        "    if (value > {n} && {w} != null) return \"{w}\";\n",
        "const {w} = await fetch(`/api/{w}?id={n}`).then(r => r.json());\n",
        "{{\"{w}\": [{n}, {n}, {n}], \"nested\": {{\"ok\": true, \"v\": null}}}}\n",
        "<div class=\"{w}\">&amp; {w} &lt;{n}&gt;</div>\n",
        "SELECT {w}, COUNT(*) FROM t_{w} WHERE id >= {n} GROUP BY {w};\n",
        "\t\tpublic static int {w}(ReadOnlySpan<byte> s) => s.Length + {n};\n",
    ];

    private const string Cjk = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明";
    private const string Kana = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソタチツテトナニヌネノ";
    private const string Hangul = "한국어문장입니다가나다라마바사아자차카타파하";

    private static readonly string[] Accented =
    [
        "café", "naïve", "façade", "résumé", "Ångström", "Zürich", "Straße", "Øre", "ŁÓDŹ", "coöperate", "jalapeño", "crème brûlée",
        "Привет", "мир", "Γειά", "σου", "مرحبا", "שלום", "नमस्ते", "ﬁ", "①", "½", "™", "ＡＢＣ", "“quoted”", "‘single’", "—", "…",
    ];

    private static readonly string[] Emoji =
    [
        "🙂", "🚀", "🌸", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🎉", "🤖", "🔥", "😂", "✨", "🧪", "🐍", "☕",
    ];

    /// <summary>Text of at least <paramref name="targetBytes"/> UTF-8 bytes (it stops at the first segment past the target).</summary>
    public static string Generate(int targetBytes, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(targetBytes + 256);
        int bytes = 0;
        while (bytes < targetBytes)
        {
            int start = text.Length;
            int pick = random.Next(100);
            if (pick < 50) Prose(random, text);
            else if (pick < 70) Code(random, text);
            else if (pick < 80) Numbers(random, text);
            else if (pick < 90) Asian(random, text);
            else if (pick < 95) Pick(random, text, Accented, 3, 8);
            else Pick(random, text, Emoji, 1, 4);
            text.Append(random.Next(8) == 0 ? "\n\n" : " ");
            bytes += Encoding.UTF8.GetByteCount(text.ToString(start, text.Length - start));
        }

        return text.ToString();
    }

    private static void Prose(Random random, StringBuilder text)
    {
        int count = random.Next(8, 24);
        for (int i = 0; i < count; i++)
        {
            string word = Words[random.Next(Words.Length)];
            if (i == 0) text.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            else text.Append(' ').Append(word);
            if (i < count - 1 && random.Next(10) == 0) text.Append(',');
        }

        text.Append(random.Next(6) == 0 ? '?' : '.');
    }

    private static void Code(Random random, StringBuilder text)
    {
        string line = CodeLines[random.Next(CodeLines.Length)];
        string word = Words[random.Next(Words.Length)];
        int n = random.Next(1000);
        text.Append(line.Replace("{{", "\u0001", StringComparison.Ordinal).Replace("}}", "\u0002", StringComparison.Ordinal)
            .Replace("{w}", word, StringComparison.Ordinal).Replace("{n}", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace('\u0001', '{').Replace('\u0002', '}'));
    }

    private static void Numbers(Random random, StringBuilder text)
    {
        switch (random.Next(4))
        {
            case 0: text.Append(random.NextInt64(0, 1_000_000_000_000).ToString(CultureInfo.InvariantCulture)); break;
            case 1: text.Append((random.NextDouble() * 1000).ToString("F5", CultureInfo.InvariantCulture)); break;
            case 2: text.Append(CultureInfo.InvariantCulture, $"{random.Next(1990, 2030)}-{random.Next(1, 13):D2}-{random.Next(1, 29):D2}"); break;
            default: text.Append(random.Next(1_000_000_000).ToString("N0", CultureInfo.InvariantCulture)); break;
        }
    }

    private static void Asian(Random random, StringBuilder text)
    {
        string alphabet = random.Next(3) switch { 0 => Cjk, 1 => Kana, _ => Hangul };
        int count = random.Next(4, 20);
        for (int i = 0; i < count; i++) text.Append(alphabet[random.Next(alphabet.Length)]);
        text.Append(alphabet == Hangul ? ". " : "。");
    }

    private static void Pick(Random random, StringBuilder text, string[] items, int min, int max)
    {
        int count = random.Next(min, max);
        for (int i = 0; i < count; i++) text.Append(i > 0 ? " " : "").Append(items[random.Next(items.Length)]);
    }
}
