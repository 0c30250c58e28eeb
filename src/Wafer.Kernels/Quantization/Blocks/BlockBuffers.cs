using System.Runtime.CompilerServices;

namespace Wafer.Kernels.Quantization.Blocks;

// Fixed-length element buffers that block layouts embed; each converts implicitly to a span.

/// <summary>4 bytes inline.</summary>
[InlineArray(4)]
public struct Bytes4 { private byte _element0; }

/// <summary>12 bytes inline.</summary>
[InlineArray(12)]
public struct Bytes12 { private byte _element0; }

/// <summary>16 bytes inline.</summary>
[InlineArray(16)]
public struct Bytes16 { private byte _element0; }

/// <summary>32 bytes inline.</summary>
[InlineArray(32)]
public struct Bytes32 { private byte _element0; }

/// <summary>64 bytes inline.</summary>
[InlineArray(64)]
public struct Bytes64 { private byte _element0; }

/// <summary>128 bytes inline.</summary>
[InlineArray(128)]
public struct Bytes128 { private byte _element0; }

/// <summary>16 signed bytes inline.</summary>
[InlineArray(16)]
public struct SBytes16 { private sbyte _element0; }

/// <summary>32 signed bytes inline.</summary>
[InlineArray(32)]
public struct SBytes32 { private sbyte _element0; }

/// <summary>256 signed bytes inline.</summary>
[InlineArray(256)]
public struct SBytes256 { private sbyte _element0; }

/// <summary>16 signed 16-bit integers inline.</summary>
[InlineArray(16)]
public struct Int16s16 { private short _element0; }
