using System.Runtime.InteropServices;

namespace Wafer.Models.Gguf;

/// <summary>Asks Linux to back a mapping with transparent huge pages (madvise MADV_HUGEPAGE): fewer TLB misses while weights stream.</summary>
/// <remarks>Advice only: ignored on other systems, for file mappings the kernel cannot back with huge pages, or when THP is off.</remarks>
public static unsafe partial class HugePages
{
    private const int MadviseHugePage = 14;   // MADV_HUGEPAGE
    private const int MadviseWillNeed = 3;    // MADV_WILLNEED
    private const int MadviseDontNeed = 4;    // MADV_DONTNEED
    private const long PageBytes = 4096;

    /// <summary>Advises huge pages (and read-ahead) for [<paramref name="address"/>, +<paramref name="bytes"/>); returns whether the kernel accepted the huge-page advice.</summary>
    public static bool Advise(void* address, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return false;
        nint start = (nint)address & ~(nint)(PageBytes - 1);
        nuint length = (nuint)((nint)address + (nint)bytes - start);
        _ = TryMadvise(start, length, MadviseWillNeed);
        return TryMadvise(start, length, MadviseHugePage);
    }

    /// <summary>Drops this process's pages of the read-only file mapping [<paramref name="address"/>, +<paramref name="bytes"/>) (whole
    /// pages inside it only; MADV_DONTNEED): they leave the resident set and stay in the page cache, where a later read finds them again.</summary>
    public static void Release(void* address, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return;
        nint start = ((nint)address + (nint)(PageBytes - 1)) & ~(nint)(PageBytes - 1);
        nint end = ((nint)address + (nint)bytes) & ~(nint)(PageBytes - 1);
        if (end > start) _ = TryMadvise(start, (nuint)(end - start), MadviseDontNeed);
    }

    // madvise, false where it fails or libc has no madvise.
    private static bool TryMadvise(nint start, nuint length, int advice)
    {
        try
        {
            return Madvise(start, length, advice) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
