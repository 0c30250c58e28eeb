using System.Runtime.Intrinsics;

namespace Wafer.Kernels.Gemm;

/// <summary>A weight block type whose dot products run against Q8_0 activations: 32 quants that unpack to unsigned bytes u, with value d·(u − <see cref="Offset"/>).</summary>
/// <remarks>
/// Unpacking to unsigned bytes lets AVX-VNNI's vpdpbusd (unsigned × signed) take the weights directly; the
/// −Offset·Σy term is folded into the accumulator's starting value, precomputed once per activation block
/// (<see cref="Q8Activations"/>). Per 4-element lane the integer sum equals ggml's Σ w·y exactly.
/// </remarks>
internal unsafe interface IQ8WeightBlock
{
    /// <summary>Bytes per block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>What is subtracted from an unpacked quant to get its signed value.</summary>
    static abstract int Offset { get; }

    /// <summary>The block's scale d.</summary>
    static abstract float Scale(byte* block);

    /// <summary>The 32 quants as unsigned bytes, in element order.</summary>
    static abstract Vector256<byte> Unpack(byte* block);

    /// <summary>Quant <paramref name="index"/> as an unsigned value (the scalar twin of <see cref="Unpack"/>).</summary>
    static abstract int UnpackScalar(byte* block, int index);
}
