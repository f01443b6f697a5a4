using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OssPresign.Server.Storage;

/// <summary>
/// Linux <c>O_DIRECT</c> for the chunks of large bodies: they go from the upload's buffer to the disk without passing
/// through the page cache.
/// </summary>
/// <remarks>
/// Measured on the benchmark VM (docs/benchmarks.md): writing 1 GiB with <c>dd bs=1M conv=fsync</c> took 2.6-5.0 s,
/// with <c>oflag=direct</c> 1.0-1.1 s. Most buffered cost is the kernel finding and filling page-cache pages, charged
/// to the writer's CPU, which the upload's MD5 needs. Durability is unchanged: the body is still fsynced before its
/// row commits (the fsync then flushes the device cache and the metadata). Where the file system refuses
/// <c>O_DIRECT</c>, or off Linux, writes stay buffered.
/// </remarks>
internal static partial class DirectWrites
{
    /// <summary>
    /// Buffers, offsets and lengths of direct writes are multiples of this. 4096 covers every logical block size of
    /// common disks (512 or 4096).
    /// </summary>
    public const int Alignment = 4096;

    private const int GetStatusFlags = 3; // F_GETFL
    private const int SetStatusFlags = 4; // F_SETFL

    /// <summary>The value of <c>O_DIRECT</c>, which differs between architectures; 0 where it is not known.</summary>
    private static readonly int DirectFlag = !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>Switches <paramref name="file"/> to direct writes.</summary>
    /// <returns>False when the platform or file system does not support them; the file is unchanged then.</returns>
    public static bool TryEnable(SafeFileHandle file) => DirectFlag != 0 && TrySet(file, enable: true);

    /// <summary>Switches <paramref name="file"/> back to buffered writes, for an unaligned tail.</summary>
    /// <exception cref="IOException">The flag could not be cleared.</exception>
    public static void Disable(SafeFileHandle file)
    {
        if (!TrySet(file, enable: false))
        {
            throw new IOException($"Could not switch a body file back to buffered writes (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    private static bool TrySet(SafeFileHandle file, bool enable)
    {
        var flags = Fcntl(file, GetStatusFlags, 0);
        if (flags < 0)
        {
            return false;
        }

        var wanted = enable ? flags | DirectFlag : flags & ~DirectFlag;
        return wanted == flags || Fcntl(file, SetStatusFlags, wanted) == 0;
    }

    // fcntl is variadic in C; its third argument is an int for F_GETFL and F_SETFL, which the fixed signature passes
    // in the same register on the System V (x64) and AAPCS64 (Linux arm64) calling conventions.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle file, int command, int argument);
}
