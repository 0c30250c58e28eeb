namespace Wafer.Models.Constraints;

/// <summary>Turns a range of Unicode scalar values into the UTF-8 byte sequences that encode exactly those values, each
/// sequence a list of byte ranges (the construction regex engines use to match code points byte by byte).</summary>
internal static class Utf8Ranges
{
    /// <summary>Appends the byte-range sequences of [<paramref name="first"/>, <paramref name="last"/>] (surrogates left out).</summary>
    public static void Split(int first, int last, List<(byte Low, byte High)[]> output)
    {
        if (first > last) return;
        if (first <= 0xDFFF && last >= 0xD800)
        {
            Split(first, 0xD7FF, output);
            Split(0xE000, last, output);
            return;
        }
        foreach (int boundary in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
            if (first <= boundary && last > boundary)
            {
                Split(first, boundary, output);
                Split(boundary + 1, last, output);
                return;
            }
        int length = Length(first);
        for (int i = 1; i < length; i++)
        {
            int mask = (1 << (6 * i)) - 1;
            if ((first & ~mask) != (last & ~mask))
            {
                if ((first & mask) != 0)
                {
                    Split(first, first | mask, output);
                    Split((first | mask) + 1, last, output);
                    return;
                }
                if ((last & mask) != mask)
                {
                    Split(first, (last & ~mask) - 1, output);
                    Split(last & ~mask, last, output);
                    return;
                }
            }
        }
        Span<byte> a = stackalloc byte[4], b = stackalloc byte[4];
        Encode(first, a);
        Encode(last, b);
        var sequence = new (byte, byte)[length];
        for (int i = 0; i < length; i++) sequence[i] = (a[i], b[i]);
        output.Add(sequence);
    }

    private static int Length(int c) => c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;

    private static void Encode(int c, Span<byte> bytes)
    {
        switch (Length(c))
        {
            case 1:
                bytes[0] = (byte)c;
                break;
            case 2:
                bytes[0] = (byte)(0xC0 | (c >> 6));
                bytes[1] = (byte)(0x80 | (c & 0x3F));
                break;
            case 3:
                bytes[0] = (byte)(0xE0 | (c >> 12));
                bytes[1] = (byte)(0x80 | ((c >> 6) & 0x3F));
                bytes[2] = (byte)(0x80 | (c & 0x3F));
                break;
            default:
                bytes[0] = (byte)(0xF0 | (c >> 18));
                bytes[1] = (byte)(0x80 | ((c >> 12) & 0x3F));
                bytes[2] = (byte)(0x80 | ((c >> 6) & 0x3F));
                bytes[3] = (byte)(0x80 | (c & 0x3F));
                break;
        }
    }
}
