using System.Buffers.Binary;
using System.Text;

namespace Wafer.Models.Gguf;

/// <summary>Bounds-checked little-endian reader over the mapped bytes of a GGUF header.</summary>
/// <remarks>Every read checks the remaining length first, so a hostile count can never allocate
/// more than the file itself holds.</remarks>
internal unsafe sealed class GgufCursor(byte* start, long length, string fileName)
{
    public long Position { get; private set; }

    public long Remaining => length - Position;

    public GgufFormatException Error(string problem) => new($"model file '{fileName}': {problem}");

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error($"file is truncated: {what} needs {count} bytes at offset {Position}, only {Remaining} remain");
        var span = new ReadOnlySpan<byte>(start + Position, count);
        Position += count;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];

    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));

    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));

    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>Reads a count and checks that <paramref name="minBytesEach"/> × count bytes could still follow.</summary>
    public long Count(string what, int minBytesEach)
    {
        ulong n = U64(what);
        if (n > (ulong)Remaining / (ulong)Math.Max(1, minBytesEach))
            throw Error($"{what} is {n}, more than the {Remaining} bytes left in the file can hold");
        return (long)n;
    }

    public string String(string what)
    {
        long n = Count($"length of {what}", 1);
        if (n > int.MaxValue) throw Error($"{what} is {n} bytes long");
        return Encoding.UTF8.GetString(Take((int)n, what));
    }
}
