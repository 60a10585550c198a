namespace GdTrainer.Training;

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

/// <summary>
/// The few MPI calls <see cref="MpiCommunicator"/> makes, bound at run time to a native MPI library of the MPICH ABI (MPICH,
/// and the MPICH-derived Intel MPI, MVAPICH and Cray MPICH, which share it through the MPICH ABI compatibility initiative;
/// MS-MPI uses the same handle values). Nothing is loaded until <see cref="Load"/> runs, which only
/// <see cref="MpiCommunicator.FromEnvironment()"/> calls: a process that never asks for MPI never touches a native library.
/// </summary>
/// <remarks>
/// <para>Why a binding of our own rather than the <c>MPI.NET</c> package (1.4.0, tried under <c>mpiexec -n 2</c> with a
/// resolver mapping its <c>msmpi.dll</c> to <c>libmpich.so.12</c>; its all-reduce and all-gather work): it binds MPI-2 and has
/// no non-blocking collectives (<c>MPI_Iallgatherv</c>, <c>MPI_Ibcast</c>, <c>MPI_Ibarrier</c>), which the timeouts need; its
/// package is marked Windows-only and asks for licence acceptance; and it would add a dependency for every user of
/// GdTrainer, most of whom never run MPI. This binding is twenty function pointers.</para>
/// <para>The handle constants are the MPICH ABI's, read from MPICH 4.0.2's <c>mpi.h</c> (Debian bookworm's <c>mpich</c>):
/// handles are 32-bit integers, <c>MPI_COMM_WORLD</c> is <c>0x44000000</c>, <c>MPI_BYTE</c> <c>0x4c00010d</c>,
/// <c>MPI_ERRORS_RETURN</c> <c>0x54000001</c>, <c>MPI_STATUS_IGNORE</c> the pointer 1. Open MPI's ABI differs (handles are
/// pointers to its own structs), so <see cref="Load"/> refuses it by its version string rather than crash in it.</para>
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    /// <summary>The environment variable that names the MPI library to load instead of the defaults (a file name or a path).</summary>
    internal const string LibraryVariable = "GDTRAINER_MPI_LIBRARY";

    internal const int Success = 0;
    internal const int CommWorld = 0x44000000;
    internal const int Byte = 0x4c00010d;
    internal const int ErrorsReturn = 0x54000001;
    internal const int RequestNull = 0x2c000000;
    internal const int ThreadSerialized = 2;
    internal const int AnySource = -2;
    internal const int MaxErrorString = 512;
    internal const int MaxLibraryVersionString = 8192;

    /// <summary>MPICH's <c>MPI_STATUS_IGNORE</c>: the pointer value 1.</summary>
    internal static readonly void* StatusIgnore = (void*)1;

    /// <summary>MPI_IN_PLACE in the MPICH (and MS-MPI) ABI: the send buffer is the caller's own part of the receive buffer.</summary>
    internal static readonly void* InPlace = (void*)-1;

#pragma warning disable SA1310 // The field names are the MPI functions' names.
    internal readonly delegate* unmanaged<int*, int> MPI_Initialized;
    internal readonly delegate* unmanaged<int*, int> MPI_Finalized;
    internal readonly delegate* unmanaged<int*, byte***, int, int*, int> MPI_Init_thread;
    internal readonly delegate* unmanaged<int> MPI_Finalize;
    internal readonly delegate* unmanaged<int, int, int> MPI_Abort;
    internal readonly delegate* unmanaged<int, int*, int> MPI_Comm_rank;
    internal readonly delegate* unmanaged<int, int*, int> MPI_Comm_size;
    internal readonly delegate* unmanaged<int, int*, int> MPI_Comm_dup;
    internal readonly delegate* unmanaged<int*, int> MPI_Comm_free;
    internal readonly delegate* unmanaged<int, int, int> MPI_Comm_set_errhandler;
    internal readonly delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int*, int> MPI_Iallgatherv;
    internal readonly delegate* unmanaged<void*, int, int, int, int, int*, int> MPI_Ibcast;
    internal readonly delegate* unmanaged<int, int*, int> MPI_Ibarrier;
    internal readonly delegate* unmanaged<void*, int, int, int, int, int, int*, int> MPI_Isend;
    internal readonly delegate* unmanaged<void*, int, int, int, int, int, int*, int> MPI_Irecv;
    internal readonly delegate* unmanaged<int*, int*, void*, int> MPI_Test;
    internal readonly delegate* unmanaged<int*, int> MPI_Cancel;
    internal readonly delegate* unmanaged<int*, int> MPI_Request_free;
    internal readonly delegate* unmanaged<int, byte*, int*, int> MPI_Error_string;
    internal readonly delegate* unmanaged<byte*, int*, int> MPI_Get_library_version;
#pragma warning restore SA1310

    private MpiLibrary(nint handle, string name)
    {
        Name = name;
        MPI_Initialized = (delegate* unmanaged<int*, int>)Export(handle, name, "MPI_Initialized");
        MPI_Finalized = (delegate* unmanaged<int*, int>)Export(handle, name, "MPI_Finalized");
        MPI_Init_thread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(handle, name, "MPI_Init_thread");
        MPI_Finalize = (delegate* unmanaged<int>)Export(handle, name, "MPI_Finalize");
        MPI_Abort = (delegate* unmanaged<int, int, int>)Export(handle, name, "MPI_Abort");
        MPI_Comm_rank = (delegate* unmanaged<int, int*, int>)Export(handle, name, "MPI_Comm_rank");
        MPI_Comm_size = (delegate* unmanaged<int, int*, int>)Export(handle, name, "MPI_Comm_size");
        MPI_Comm_dup = (delegate* unmanaged<int, int*, int>)Export(handle, name, "MPI_Comm_dup");
        MPI_Comm_free = (delegate* unmanaged<int*, int>)Export(handle, name, "MPI_Comm_free");
        MPI_Comm_set_errhandler = (delegate* unmanaged<int, int, int>)Export(handle, name, "MPI_Comm_set_errhandler");
        MPI_Iallgatherv = (delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int*, int>)Export(handle, name, "MPI_Iallgatherv");
        MPI_Ibcast = (delegate* unmanaged<void*, int, int, int, int, int*, int>)Export(handle, name, "MPI_Ibcast");
        MPI_Ibarrier = (delegate* unmanaged<int, int*, int>)Export(handle, name, "MPI_Ibarrier");
        MPI_Isend = (delegate* unmanaged<void*, int, int, int, int, int, int*, int>)Export(handle, name, "MPI_Isend");
        MPI_Irecv = (delegate* unmanaged<void*, int, int, int, int, int, int*, int>)Export(handle, name, "MPI_Irecv");
        MPI_Test = (delegate* unmanaged<int*, int*, void*, int>)Export(handle, name, "MPI_Test");
        MPI_Cancel = (delegate* unmanaged<int*, int>)Export(handle, name, "MPI_Cancel");
        MPI_Request_free = (delegate* unmanaged<int*, int>)Export(handle, name, "MPI_Request_free");
        MPI_Error_string = (delegate* unmanaged<int, byte*, int*, int>)Export(handle, name, "MPI_Error_string");
        MPI_Get_library_version = (delegate* unmanaged<byte*, int*, int>)Export(handle, name, "MPI_Get_library_version");
        Version = ReadVersion();
    }

    /// <summary>The name or path the library was loaded by.</summary>
    internal string Name { get; }

    /// <summary>The first line of the library's <c>MPI_Get_library_version</c>, e.g. "MPICH Version: 4.0.2".</summary>
    internal string Version { get; }

    /// <summary>The library names tried in order when <see cref="LibraryVariable"/> is not set.</summary>
    internal static string[] DefaultNames =>
        OperatingSystem.IsWindows() ? ["msmpi.dll"]
        : OperatingSystem.IsMacOS() ? ["libmpich.12.dylib", "libmpi.12.dylib"]
        : ["libmpich.so.12", "libmpi.so.12"];

    /// <summary>
    /// Loads the MPI library named by <see cref="LibraryVariable"/>, or else the first of <see cref="DefaultNames"/> found, and
    /// checks that it is of the MPICH ABI.
    /// </summary>
    /// <exception cref="InvalidOperationException">No library could be loaded (the message says what to install), it lacks an
    /// MPI-3 function, or it is Open MPI.</exception>
    internal static MpiLibrary Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
        string[] names = string.IsNullOrWhiteSpace(chosen) ? DefaultNames : [chosen];
        var failures = new List<string>();
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                var library = new MpiLibrary(handle, name);
                if (library.Version.Contains("Open MPI", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"{name} is Open MPI ({library.Version}), whose binary interface GdTrainer does not bind: install MPICH (Debian/Ubuntu: apt-get install mpich) or an MPI of the MPICH ABI (Intel MPI, MVAPICH, Cray MPICH), launch with its mpiexec, and set {LibraryVariable} to its libmpi.so.12 if it is not found by name.");
                }

                return library;
            }

            failures.Add(name);
        }

        throw new InvalidOperationException(
            $"No MPI library could be loaded (tried {string.Join(", ", failures)}). Install MPICH (Debian/Ubuntu: apt-get install mpich; it provides libmpich.so.12 and mpiexec) or another MPI of the MPICH ABI, or set {LibraryVariable} to the path of its library (libmpich.so.12 or libmpi.so.12). Without a communicator option, training uses one process and needs no MPI.");
    }

    /// <summary>The text of MPI error code <paramref name="code"/>.</summary>
    internal string ErrorText(int code)
    {
        byte* text = stackalloc byte[MaxErrorString + 1];
        int length = 0;
        if (MPI_Error_string(code, text, &length) != Success || length <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"MPI error {code}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"MPI error {code}: {Encoding.UTF8.GetString(text, Math.Min(length, MaxErrorString)).Trim()}");
    }

    private static nint Export(nint handle, string library, string function)
    {
        if (NativeLibrary.TryGetExport(handle, function, out nint address))
        {
            return address;
        }

        throw new InvalidOperationException(
            $"{library} has no {function}: GdTrainer needs an MPI-3 library of the MPICH ABI (MPICH 3.0 or later, Intel MPI, MVAPICH, Cray MPICH). Install MPICH (apt-get install mpich) or set {LibraryVariable} to such a library.");
    }

    private string ReadVersion()
    {
        byte[] text = new byte[MaxLibraryVersionString + 1];
        int length = 0;
        fixed (byte* p = text)
        {
            if (MPI_Get_library_version(p, &length) != Success || length <= 0)
            {
                return "unknown version";
            }
        }

        string version = Encoding.UTF8.GetString(text, 0, Math.Min(length, MaxLibraryVersionString)).Trim('\0', ' ', '\n');
        int newline = version.IndexOf('\n', StringComparison.Ordinal);
        return string.Join(' ', (newline >= 0 ? version[..newline] : version).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
