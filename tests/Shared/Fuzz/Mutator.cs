using System.Buffers.Binary;
using System.Text;

namespace Wafer.Tests.Fuzz;

/// <summary>Seeded byte-level mutations of valid inputs: bit flips, interesting values, truncation, splicing, lying
/// lengths/counts/offsets and invalid UTF-8. The same seed and inputs always give the same outputs.</summary>
internal static class Mutator
{
    /// <summary>Byte sequences that are not UTF-8: a lone continuation byte, an overlong form, a truncated 3- and 4-byte
    /// sequence, an encoded surrogate (ED A0 80), bytes that never occur (F8, FF), and a code point past U+10FFFF.</summary>
    public static readonly byte[][] InvalidUtf8 =
    [
        [0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF],
        [0xC3, 0x28], [0xF4, 0x90, 0x80, 0x80], [0xFE, 0xFE],
    ];

    private static readonly ulong[] LyingValues =
    [
        0, 1, 2, 3, 4, 7, 8, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x1_0000_0000, 1UL << 40, long.MaxValue, 1UL << 63, ulong.MaxValue, ulong.MaxValue - 1,
    ];

    /// <summary>One to four stacked mutations of <paramref name="seed"/>; <paramref name="others"/> feed splicing.</summary>
    public static byte[] Mutate(byte[] seed, Random random, IReadOnlyList<byte[]> others)
    {
        var bytes = seed;
        int steps = 1 + random.Next(4);
        for (int i = 0; i < steps; i++) bytes = MutateOnce(bytes, random, others);
        return bytes;
    }

    private static byte[] MutateOnce(byte[] input, Random random, IReadOnlyList<byte[]> others)
    {
        if (input.Length == 0) return [(byte)random.Next(256)];
        var b = (byte[])input.Clone();
        int at = random.Next(b.Length);
        switch (random.Next(10))
        {
            case 0: // flip bits
                for (int n = 1 + random.Next(8); n > 0; n--) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                return b;
            case 1: // an interesting byte
                b[at] = (byte)LyingValues[random.Next(LyingValues.Length)];
                return b;
            case 2: // truncate
                return b[..random.Next(b.Length)];
            case 3: // a lying 32-bit value anywhere
                if (b.Length - at >= 4) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), (uint)LyingValues[random.Next(LyingValues.Length)]);
                return b;
            case 4: // a lying 64-bit value anywhere
                if (b.Length - at >= 8) BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), LyingValues[random.Next(LyingValues.Length)]);
                return b;
            case 5: // splice: our head, another input's tail
                var other = others.Count == 0 ? b : others[random.Next(others.Count)];
                int from = other.Length == 0 ? 0 : random.Next(other.Length);
                return [.. b.AsSpan(0, at), .. other.AsSpan(from)];
            case 6: // invalid UTF-8 inserted
                return [.. b.AsSpan(0, at), .. InvalidUtf8[random.Next(InvalidUtf8.Length)], .. b.AsSpan(at)];
            case 7: // delete a block
                int length = Math.Min(b.Length - at, 1 + random.Next(64));
                return [.. b.AsSpan(0, at), .. b.AsSpan(at + length)];
            case 8: // duplicate a block
                int count = Math.Min(b.Length - at, 1 + random.Next(64));
                return [.. b.AsSpan(0, at + count), .. b.AsSpan(at)];
            default: // random bytes
                var noise = new byte[1 + random.Next(16)];
                random.NextBytes(noise);
                return [.. b.AsSpan(0, at), .. noise, .. b.AsSpan(at)];
        }
    }

    private const string Separators = " \t\n\r▁Ġ<|>";

    /// <summary>Text from random code points, including unpaired surrogates, controls, combining marks and U+FFFD.</summary>
    public static string RandomText(Random random, int maxLength)
    {
        var sb = new StringBuilder();
        int length = random.Next(maxLength + 1);
        for (int i = 0; i < length; i++)
        {
            switch (random.Next(8))
            {
                case 0: sb.Append((char)random.Next(0xD800, 0xE000)); break; // a lone surrogate half
                case 1: sb.Append((char)random.Next(0, 0x20)); break;
                case 2: sb.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000))); break; // outside the BMP: a surrogate pair
                case 3: sb.Append((char)random.Next(0x300, 0x370)); break;
                case 4: sb.Append(Separators[random.Next(Separators.Length)]); break;
                case 5: sb.Append((char)random.Next(0xE000, 0x10000)); break;
                default: sb.Append((char)random.Next(0x20, 0x800)); break;
            }
        }
        return sb.ToString();
    }
}
