namespace Wafer.Bench;

/// <summary>256 common English words, each about one token in the usual BPE vocabularies: prompts are built from them, so no dataset is downloaded.</summary>
internal static class WordList
{
    public static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "was", "that", "for", "it", "with", "as", "on", "be", "at", "by",
        "this", "had", "not", "are", "but", "from", "or", "have", "an", "they", "which", "one", "you", "were", "all",
        "her", "she", "there", "would", "their", "we", "him", "been", "has", "when", "who", "will", "no", "more",
        "if", "out", "so", "said", "what", "up", "its", "about", "than", "into", "them", "can", "only", "other",
        "time", "new", "some", "could", "these", "two", "may", "first", "then", "do", "any", "like", "my", "now",
        "over", "such", "our", "man", "me", "even", "most", "made", "after", "also", "did", "many", "before", "must",
        "years", "back", "through", "much", "where", "your", "way", "well", "down", "should", "because", "each",
        "just", "those", "people", "how", "too", "little", "state", "good", "very", "make", "world", "still", "see",
        "own", "men", "work", "long", "here", "get", "both", "between", "life", "being", "under", "never", "day",
        "same", "another", "know", "while", "last", "might", "us", "great", "old", "year", "off", "come", "since",
        "against", "go", "came", "right", "used", "take", "three", "states", "himself", "few", "house", "use",
        "during", "without", "again", "place", "around", "however", "home", "small", "found", "thought", "went",
        "say", "part", "once", "general", "high", "upon", "school", "every", "does", "got", "united", "left",
        "number", "course", "war", "until", "always", "away", "something", "fact", "though", "water", "less",
        "public", "put", "think", "almost", "hand", "enough", "far", "took", "head", "yet", "government", "system",
        "better", "set", "told", "nothing", "night", "end", "why", "called", "eyes", "find", "going", "look",
        "asked", "later", "knew", "point", "next", "program", "city", "business", "give", "group", "toward", "young",
        "days", "let", "room", "president", "side", "social", "given", "present", "several", "order", "national",
        "possible", "rather", "second", "face", "per", "among", "form", "important", "often", "things", "looked",
        "early", "white", "case", "john", "become", "large", "big", "need", "four", "within", "felt", "along",
        "children", "saw",
    ];

    /// <summary>Appends <paramref name="count"/> random words, space separated, to <paramref name="text"/>.</summary>
    public static void AppendWords(System.Text.StringBuilder text, int count, Random random)
    {
        for (int i = 0; i < count; i++)
        {
            if (text.Length > 0) text.Append(' ');
            text.Append(Words[random.Next(Words.Length)]);
        }
    }
}
