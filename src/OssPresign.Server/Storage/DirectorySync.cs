using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OssPresign.Server.Storage;

/// <summary>
/// Opens a folder so that it can be fsynced: a new or renamed file's name is durable only once its folder is
/// (fsync(2): "an fsync() on a file descriptor for the directory is also needed"), which .NET has no API for.
/// </summary>
/// <remarks>
/// Without it, a power cut after a commit can lose the rename of an acknowledged body: the row would survive and the
/// file would not. Windows cannot fsync a folder (NTFS journals renames itself), so there the handle is null.
/// </remarks>
internal static partial class DirectorySync
{
    // O_RDONLY | O_CLOEXEC; O_CLOEXEC is 02000000 on every Linux architecture .NET runs on, 0x1000000 on macOS.
    private static readonly int OpenFlags = OperatingSystem.IsLinux() ? 0x80000 : OperatingSystem.IsMacOS() ? 0x1000000 : 0;

    /// <summary>Opens <paramref name="directory"/> read-only, for <see cref="RandomAccess.FlushToDisk"/>.</summary>
    /// <returns>The handle; null where folders cannot be fsynced (Windows).</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="IOException">It could not be opened.</exception>
    public static SafeFileHandle? Open(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var descriptor = OpenNative(directory, OpenFlags);
        if (descriptor < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            const int NoSuchEntry = 2; // ENOENT
            throw errno == NoSuchEntry
                ? new DirectoryNotFoundException($"The folder '{directory}' does not exist.")
                : new IOException($"Could not open the folder '{directory}' to fsync it (errno {errno}).");
        }

        return new SafeFileHandle(descriptor, ownsHandle: true);
    }

    /// <summary>Opens <paramref name="directory"/> and fsyncs it on this thread; for start-up, not for requests.</summary>
    public static void Flush(string directory)
    {
        using var handle = Open(directory);
        if (handle is not null)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);
}
