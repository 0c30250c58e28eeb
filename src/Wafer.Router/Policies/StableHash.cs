namespace Wafer.Router.Policies;

/// <summary>A 64-bit hash of text that is the same in every process (FNV-1a, then a splitmix64 finalizer).</summary>
internal static class StableHash
{
    public static ulong Of(ReadOnlySpan<char> text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            h = (h ^ (byte)c) * 1099511628211UL;
            h = (h ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }
}
