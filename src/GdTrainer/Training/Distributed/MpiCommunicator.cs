namespace GdTrainer.Training;

using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

/// <summary>
/// The ranks of an MPI job: each process started by <c>mpiexec -n 4 dotnet app.dll</c> (or <c>srun</c>, or an MPI
/// operator's launcher) creates one with <see cref="FromEnvironment()"/> and gets its rank and the job's size. The
/// collectives run on MPI's own (MPICH's <c>MPI_Iallgatherv</c>, <c>MPI_Ibcast</c>, <c>MPI_Ibarrier</c>), non-blocking and
/// polled against <see cref="Communicator.Timeout"/>, so that a rank that stops answering is named instead of hanging the job.
/// </summary>
/// <remarks>
/// <para>What it needs: an MPI library of the MPICH ABI, found as <c>libmpich.so.12</c> or <c>libmpi.so.12</c> (Debian and
/// Ubuntu: <c>apt-get install mpich</c>; Intel MPI, MVAPICH and Cray MPICH share the ABI), or named by the environment
/// variable <c>GDTRAINER_MPI_LIBRARY</c>. Open MPI's ABI differs and is refused with a message. Nothing native is loaded
/// until <see cref="FromEnvironment()"/> is called. Tested on Linux with MPICH 4.0.2; <c>msmpi.dll</c> (MS-MPI, which
/// shares MPICH's handle values) is what it loads on Windows, untested.</para>
/// <para>Failures (docs/distributed.md): when a collective has waited <see cref="Communicator.Timeout"/>, this rank sends every
/// other rank a probe on a second, private communicator and waits up to 5 s for the answers, which ranks waiting in a
/// collective send from their polling loop. A rank that does not answer is dead, stopped, hung, or busy outside the
/// collectives for longer than the timeout; one that answers from another collective called them in another order. The
/// <see cref="CommunicatorException"/> names them, and the ranks that answered are told, so that each reports it.
/// <see cref="Communicator.Fail(string)"/> tells the others at once that this rank is failing. A process that dies outright is
/// seen first by the launcher: MPICH's <c>mpiexec</c> ends the whole job within a second and names the dead process by its
/// PID and host (<see cref="ToString"/> gives each rank's, for matching); its <c>-disable-auto-cleanup</c> mode does not
/// keep the other ranks alive with MPICH 4.0.2 (checked), so it is not relied on.</para>
/// <para>One per process: MPI is initialised by the first <see cref="FromEnvironment()"/> (with
/// <c>MPI_THREAD_SERIALIZED</c>, unless the application initialised MPI already) and finalised by <see cref="Communicator.Dispose"/>;
/// MPI cannot be initialised again after that.</para>
/// </remarks>
public sealed unsafe class MpiCommunicator : Communicator
{
    private const int ControlTag = 2121;
    private const int MessageBytes = 256;
    private const int HeaderBytes = 20;
    private const int Probe = 1;
    private const int Reply = 2;
    private const int Failure = 3;
    private const int Acknowledge = 4;

    private static readonly object s_gate = new();
    private static MpiCommunicator? s_open;
    private static bool s_used;

    private readonly MpiLibrary _mpi;
    private readonly bool _ownsMpi;
    private readonly List<(int Request, nint Buffer)> _sends = [];
    private readonly Dictionary<int, (long Sequence, string Collective)> _replies = [];
    private readonly HashSet<int> _acknowledged = [];
    private readonly int* _counts;
    private readonly int* _displacements;
    private readonly byte* _controlIn;
    private int _data;
    private int _control;
    private int _controlRequest = MpiLibrary.RequestNull;
    private byte* _staging;
    private long _stagingBytes;
    private long _sequence;
    private string? _current;
    private bool _probing;
    private bool _requestPending;
    private bool _finalized;
    private (int Rank, string Reason, int[] Blamed)? _remoteFailure;

    private MpiCommunicator(MpiLibrary mpi, bool ownsMpi, int data, int control, int rank, int size, TimeSpan timeout)
        : base(rank, size, timeout)
    {
        _mpi = mpi;
        _ownsMpi = ownsMpi;
        _data = data;
        _control = control;
        _counts = (int*)NativeMemory.Alloc((nuint)size, sizeof(int));
        _displacements = (int*)NativeMemory.Alloc((nuint)size, sizeof(int));
        _controlIn = (byte*)NativeMemory.AllocZeroed(MessageBytes);
        PostControlReceive();
    }

    /// <summary>
    /// Whether this process looks like a rank of an MPI job: its launcher set <c>PMI_RANK</c> (MPICH's <c>mpiexec</c>, Intel
    /// MPI, Slurm's <c>srun --mpi=pmi2</c>), <c>PMIX_RANK</c> (PMIx launchers) or <c>OMPI_COMM_WORLD_RANK</c> (Open MPI). It
    /// reads environment variables only and loads nothing: use it to let one program run alone or under <c>mpiexec</c>.
    /// </summary>
    public static bool IsLaunchedByMpi =>
        Environment.GetEnvironmentVariable("PMI_RANK") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null
        || Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") is not null;

    /// <summary>The MPI library in use and its version, e.g. "libmpich.so.12 (MPICH Version: 4.0.2)".</summary>
    public string Library => $"{_mpi.Name} ({_mpi.Version})";

    /// <summary>
    /// Joins the MPI job this process was launched in, with the collective timeout <see cref="Communicator.DefaultTimeout"/>
    /// (30 s). Run alone (not under <c>mpiexec</c>), MPICH makes it a job of one rank.
    /// </summary>
    /// <returns>The communicator of this process's rank; dispose it after the last collective, on every rank.</returns>
    /// <exception cref="InvalidOperationException">No MPI library of the MPICH ABI could be loaded (the message says what to
    /// install), MPI failed to start, it cannot serve calls from more than one thread, or an <see cref="MpiCommunicator"/> was
    /// already created in this process.</exception>
    public static MpiCommunicator FromEnvironment() => FromEnvironment(DefaultTimeout);

    /// <summary>Joins the MPI job this process was launched in; its collectives wait at most <paramref name="timeout"/> for the other ranks.</summary>
    /// <param name="timeout">How long a collective waits before it looks for the ranks that did not come: positive, at most a day.</param>
    /// <returns>The communicator of this process's rank; dispose it after the last collective, on every rank.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive or exceeds a day.</exception>
    /// <exception cref="InvalidOperationException">No MPI library of the MPICH ABI could be loaded (the message says what to
    /// install), MPI failed to start, it cannot serve calls from more than one thread, or an <see cref="MpiCommunicator"/> was
    /// already created in this process.</exception>
    public static MpiCommunicator FromEnvironment(TimeSpan timeout)
    {
        CheckTimeout(timeout, nameof(timeout));
        lock (s_gate)
        {
            if (s_open is { } open)
            {
                throw new InvalidOperationException($"This process already has an MpiCommunicator ({open}): use that one. MPI is initialised once per process.");
            }

            if (s_used)
            {
                throw new InvalidOperationException("This process already created and disposed an MpiCommunicator, which finalised MPI; MPI cannot be initialised twice in a process. Keep one MpiCommunicator for the life of the process.");
            }

            MpiLibrary mpi = MpiLibrary.Load();
            int initialized = 0;
            int finalized = 0;
            Check(mpi, mpi.MPI_Initialized(&initialized), "MPI_Initialized");
            Check(mpi, mpi.MPI_Finalized(&finalized), "MPI_Finalized");
            if (finalized != 0)
            {
                throw new InvalidOperationException("MPI was already finalised in this process; it cannot be initialised again. Create the MpiCommunicator before the application finalises MPI.");
            }

            if (initialized == 0)
            {
                int provided = 0;
                Check(mpi, mpi.MPI_Init_thread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
                if (provided < MpiLibrary.ThreadSerialized)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"{mpi.Name} ({mpi.Version}) provides thread level {provided}, below MPI_THREAD_SERIALIZED (2), which a trainer that calls from its worker threads needs. Use an MPI built with thread support (Debian's mpich is)."));
                }
            }

            int rank = 0;
            int size = 0;
            int data = 0;
            int control = 0;
            Check(mpi, mpi.MPI_Comm_rank(MpiLibrary.CommWorld, &rank), "MPI_Comm_rank");
            Check(mpi, mpi.MPI_Comm_size(MpiLibrary.CommWorld, &size), "MPI_Comm_size");
            Check(mpi, mpi.MPI_Comm_dup(MpiLibrary.CommWorld, &data), "MPI_Comm_dup");
            Check(mpi, mpi.MPI_Comm_dup(MpiLibrary.CommWorld, &control), "MPI_Comm_dup");
            Check(mpi, mpi.MPI_Comm_set_errhandler(data, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler");
            Check(mpi, mpi.MPI_Comm_set_errhandler(control, MpiLibrary.ErrorsReturn), "MPI_Comm_set_errhandler");
            var communicator = new MpiCommunicator(mpi, initialized == 0, data, control, rank, size, timeout);
            s_open = communicator;
            s_used = true;
            return communicator;
        }
    }

    /// <summary>
    /// Ends every process of the MPI job (<c>MPI_Abort</c>) with <paramref name="errorCode"/>, which <c>mpiexec</c> returns.
    /// Call it after printing a <see cref="CommunicatorException"/> (or after <see cref="Communicator.Fail(string)"/>), so that no
    /// rank is left waiting or stopped. When a collective has failed it first waits one second, so that the ranks that were
    /// told of the failure can report it before the launcher ends them. After <see cref="Communicator.Dispose"/> has finalised
    /// MPI, it only ends this process.
    /// </summary>
    /// <param name="errorCode">The exit code of the job, e.g. 1.</param>
    [DoesNotReturn]
    public void Abort(int errorCode)
    {
        if (IsFailed)
        {
            Thread.Sleep(1000);
        }

        if (!_finalized)
        {
            _mpi.MPI_Abort(MpiLibrary.CommWorld, errorCode);
        }

        Environment.Exit(errorCode == 0 ? 1 : errorCode);
    }

    /// <summary>This rank for logs and for matching the launcher's messages: e.g. "MPI rank 1 of 3 (pid 4242 on node07)".</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"MPI rank {Rank} of {Size} (pid {Environment.ProcessId} on {Environment.MachineName})");

    private protected override void AllGatherCore(ReadOnlySpan<byte> send, Span<byte> receive, int[] byteCounts, string collective)
    {
        Stage(send.Length + (long)receive.Length);
        send.CopyTo(new Span<byte>(_staging, send.Length));
        int offset = 0;
        for (int r = 0; r < Size; r++)
        {
            _counts[r] = byteCounts[r];
            _displacements[r] = offset;
            offset += byteCounts[r];
        }

        byte* into = _staging + send.Length;
        int request = MpiLibrary.RequestNull;
        Start(_mpi.MPI_Iallgatherv(_staging, send.Length, MpiLibrary.Byte, into, _counts, _displacements, MpiLibrary.Byte, _data, &request), collective);
        Wait(&request, collective);
        new ReadOnlySpan<byte>(into, receive.Length).CopyTo(receive);
    }

    /// <summary>
    /// The staged all-gather sends in place from the staging memory (MPI_IN_PLACE): the caller writes its part where the
    /// gathered parts go, so the part is neither copied in nor, with the others, copied out. Measured on the two-rank MLP epoch
    /// (docs/distributed.md).
    /// </summary>
    private protected override Span<byte> StageCore(int sendBytes, int totalBytes, int ownOffset)
    {
        Stage(totalBytes);
        return new Span<byte>(_staging + ownOffset, sendBytes);
    }

    private protected override void AllGatherStagedCore(int[] byteCounts, string collective)
    {
        int offset = 0;
        for (int r = 0; r < Size; r++)
        {
            _counts[r] = byteCounts[r];
            _displacements[r] = offset;
            offset += byteCounts[r];
        }

        int request = MpiLibrary.RequestNull;
        Start(_mpi.MPI_Iallgatherv(MpiLibrary.InPlace, 0, MpiLibrary.Byte, _staging, _counts, _displacements, MpiLibrary.Byte, _data, &request), collective);
        Wait(&request, collective);
    }

    private protected override ReadOnlySpan<byte> StagedReceive(int totalBytes) => new(_staging, totalBytes);

    private protected override void BroadcastCore(Span<byte> buffer, int root, string collective)
    {
        Stage(buffer.Length);
        var staged = new Span<byte>(_staging, buffer.Length);
        if (Rank == root)
        {
            buffer.CopyTo(staged);
        }

        int request = MpiLibrary.RequestNull;
        Start(_mpi.MPI_Ibcast(_staging, buffer.Length, MpiLibrary.Byte, root, _data, &request), collective);
        Wait(&request, collective);
        if (Rank != root)
        {
            staged.CopyTo(buffer);
        }
    }

    private protected override void BarrierCore(string collective)
    {
        int request = MpiLibrary.RequestNull;
        Start(_mpi.MPI_Ibarrier(_data, &request), collective);
        Wait(&request, collective);
    }

    private protected override void NotifyFailure(string reason)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{Rank}|{reason}");
        var others = new List<int>();
        for (int r = 0; r < Size; r++)
        {
            if (r != Rank)
            {
                others.Add(r);
                Send(r, Failure, text);
            }
        }

        AwaitAcknowledgements(others, TimeSpan.FromSeconds(5));
    }

    private protected override void DisposeCore(bool failed)
    {
        lock (s_gate)
        {
            s_open = null;
        }

        if (failed || _requestPending)
        {
            // A collective or a notice may still be in flight to or from a rank that is gone: MPI could write into the buffers
            // later, and MPI_Finalize could wait for that rank. So leave MPI and the buffers as they are; the process should end
            // (Abort ends the whole job).
            return;
        }

        if (_controlRequest != MpiLibrary.RequestNull)
        {
            int request = _controlRequest;
            _mpi.MPI_Cancel(&request);
            int flag = 0;
            long start = Stopwatch.GetTimestamp();
            while (flag == 0 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(1) && _mpi.MPI_Test(&request, &flag, MpiLibrary.StatusIgnore) == MpiLibrary.Success)
            {
                Thread.Yield();
            }

            _controlRequest = MpiLibrary.RequestNull;
        }

        long drain = Stopwatch.GetTimestamp();
        while (_sends.Count > 0 && Stopwatch.GetElapsedTime(drain) < TimeSpan.FromSeconds(1))
        {
            TestSends();
            Thread.Yield();
        }

        int data = _data;
        int control = _control;
        _mpi.MPI_Comm_free(&data);
        _mpi.MPI_Comm_free(&control);
        NativeMemory.Free(_staging);
        NativeMemory.Free(_counts);
        NativeMemory.Free(_displacements);
        NativeMemory.Free(_controlIn);
        _staging = null;
        _finalized = _ownsMpi;
        if (_ownsMpi)
        {
            _mpi.MPI_Finalize();
        }
    }

    private static void Check(MpiLibrary mpi, int code, string call)
    {
        if (code != MpiLibrary.Success)
        {
            throw new InvalidOperationException($"{call} failed in {mpi.Name} ({mpi.Version}): {mpi.ErrorText(code)}. Check that the process was started by this MPI's mpiexec (or srun) and that every node has the same MPI installed.");
        }
    }

    private static string Ranks(IReadOnlyCollection<int> ranks) =>
        (ranks.Count == 1 ? "rank " : "ranks ") + string.Join(", ", ranks);

    private void Stage(long bytes)
    {
        if (bytes <= _stagingBytes)
        {
            return;
        }

        // Collectives stage their bytes in native memory owned here, not in the caller's spans: after a failure a collective
        // may still be pending in MPI, and must never write into memory the caller or the garbage collector reuses.
        NativeMemory.Free(_staging);
        _staging = null;
        _stagingBytes = 0;
        _staging = (byte*)NativeMemory.Alloc((nuint)Math.Max(bytes, 64));
        _stagingBytes = Math.Max(bytes, 64);
    }

    private void Start(int code, string collective)
    {
        _sequence++;
        if (code != MpiLibrary.Success)
        {
            throw new CommunicatorException(
                $"{this}: MPI could not start the {collective}: {_mpi.ErrorText(code)}. Every rank must call the same collectives with the same sizes.",
                Rank, collective, []);
        }
    }

    private void Wait(int* request, string collective)
    {
        _current = collective;
        _requestPending = true;
        long start = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                int flag = 0;
                int code = _mpi.MPI_Test(request, &flag, MpiLibrary.StatusIgnore);
                if (code != MpiLibrary.Success)
                {
                    throw Diagnose(null, collective, _mpi.ErrorText(code))!;
                }

                if (flag != 0)
                {
                    _requestPending = false;
                    return;
                }

                ServiceControl();
                if (_remoteFailure is { } failure)
                {
                    throw Reported(failure, collective);
                }

                TimeSpan waited = Stopwatch.GetElapsedTime(start);
                if (waited >= Timeout)
                {
                    if (Diagnose(request, collective, null) is { } error)
                    {
                        throw error;
                    }

                    _requestPending = false;
                    return;
                }

                // Spin for the first millisecond (a step's collective usually completes in microseconds), then yield, then sleep:
                // a rank that waits long for a slower one should not take the core it may share with it.
                if (waited > TimeSpan.FromMilliseconds(20))
                {
                    Thread.Sleep(1);
                }
                else if (waited > TimeSpan.FromMilliseconds(1))
                {
                    Thread.Yield();
                }
            }
        }
        finally
        {
            _current = null;
        }
    }

    /// <summary>
    /// Finds out why <paramref name="collective"/> does not complete: probes every other rank and waits up to 5 s for their
    /// answers. Returns null if the collective completes meanwhile (a late rank arrived); otherwise the error, after telling
    /// the ranks that answered.
    /// </summary>
    private CommunicatorException? Diagnose(int* request, string collective, string? mpiError)
    {
        _replies.Clear();
        _probing = true;
        for (int r = 0; r < Size; r++)
        {
            if (r != Rank)
            {
                Send(r, Probe, string.Empty);
            }
        }

        TimeSpan window = Timeout < TimeSpan.FromSeconds(5) ? Timeout : TimeSpan.FromSeconds(5);
        long start = Stopwatch.GetTimestamp();
        while (_replies.Count < Size - 1 && Stopwatch.GetElapsedTime(start) < window)
        {
            if (request is not null)
            {
                int flag = 0;
                if (_mpi.MPI_Test(request, &flag, MpiLibrary.StatusIgnore) == MpiLibrary.Success && flag != 0)
                {
                    _probing = false;
                    return null;
                }
            }

            ServiceControl();
            if (_remoteFailure is { } failure)
            {
                _probing = false;
                return Reported(failure, collective);
            }

            Thread.Sleep(1);
        }

        _probing = false;
        var silent = new List<int>();
        var elsewhere = new List<int>();
        var parts = new List<string>();
        for (int r = 0; r < Size; r++)
        {
            if (r == Rank)
            {
                continue;
            }

            if (!_replies.TryGetValue(r, out var reply))
            {
                silent.Add(r);
            }
            else if (reply.Sequence != _sequence)
            {
                elsewhere.Add(r);
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"rank {r} is waiting in the {reply.Collective} instead"));
            }
        }

        string pronoun = silent.Count == 1 ? "its" : "their";
        if (silent.Count > 0)
        {
            parts.Insert(0, string.Create(CultureInfo.InvariantCulture,
                $"{Ranks(silent)} did not answer a probe within {window.TotalSeconds:0.#} s: {pronoun} process died, is stopped or hangs, or spent longer than the timeout outside the collectives. Check {pronoun} output and exit status (the launcher names a process that died by its pid and host), the node's memory (the kernel's out-of-memory killer) and the network between the nodes; if a rank legitimately computes longer between collectives, raise the timeout (MpiCommunicator.FromEnvironment(timeout))"));
        }

        if (elsewhere.Count > 0)
        {
            parts.Add("the ranks called the collectives in different orders or with different sizes, a program error");
        }

        if (silent.Count == 0 && elsewhere.Count == 0)
        {
            parts.Add("every rank answered from this same collective, yet it does not complete: the MPI transport between the ranks is broken (check the network and firewall between the nodes, and that every node runs the same MPI); no rank can be named");
        }

        string cause = mpiError is null
            ? string.Create(CultureInfo.InvariantCulture, $"did not complete within {Timeout.TotalSeconds:0.###} s")
            : $"failed ({mpiError})";
        string message = $"{this}: the {collective} {cause}: {string.Join("; ", parts)}.";
        int[] blamed = [.. silent, .. elsewhere];
        blamed.AsSpan().Sort();

        // Tell the ranks that answered, so that each reports the same cause now rather than at its own timeout.
        var answered = _replies.Keys.ToList();
        string notice = string.Create(CultureInfo.InvariantCulture, $"{string.Join(",", blamed)}|{Truncate(string.Join("; ", parts), 180)}");
        foreach (int r in answered)
        {
            Send(r, Failure, notice);
        }

        AwaitAcknowledgements(answered, TimeSpan.FromSeconds(2));
        return new CommunicatorException(message, Rank, collective, blamed);
    }

    private CommunicatorException Reported((int Rank, string Reason, int[] Blamed) failure, string collective)
    {
        string what = failure.Blamed.Length == 1 && failure.Blamed[0] == failure.Rank
            ? string.Create(CultureInfo.InvariantCulture, $"rank {failure.Rank} failed: {failure.Reason}")
            : string.Create(CultureInfo.InvariantCulture, $"rank {failure.Rank} found that {failure.Reason}");
        return new CommunicatorException($"{this}: the {collective} was abandoned: {what}.", Rank, collective, failure.Blamed);
    }

    private void AwaitAcknowledgements(List<int> ranks, TimeSpan window)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < window && !ranks.All(_acknowledged.Contains))
        {
            ServiceControl();
            Thread.Sleep(1);
        }
    }

    private void PostControlReceive()
    {
        int request = MpiLibrary.RequestNull;
        if (_mpi.MPI_Irecv(_controlIn, MessageBytes, MpiLibrary.Byte, MpiLibrary.AnySource, ControlTag, _control, &request) == MpiLibrary.Success)
        {
            _controlRequest = request;
        }
        else
        {
            _controlRequest = MpiLibrary.RequestNull;
        }
    }

    /// <summary>Answers probes, records answers, failure notices and acknowledgements, and completes sent notices.</summary>
    private void ServiceControl()
    {
        while (_controlRequest != MpiLibrary.RequestNull)
        {
            int flag = 0;
            int request = _controlRequest;
            if (_mpi.MPI_Test(&request, &flag, MpiLibrary.StatusIgnore) != MpiLibrary.Success || flag == 0)
            {
                _controlRequest = request;
                break;
            }

            var message = new ReadOnlySpan<byte>(_controlIn, MessageBytes);
            int kind = BinaryPrimitives.ReadInt32LittleEndian(message);
            int sender = BinaryPrimitives.ReadInt32LittleEndian(message[4..]);
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(message[8..]);
            int length = Math.Clamp(BinaryPrimitives.ReadInt32LittleEndian(message[16..]), 0, MessageBytes - HeaderBytes);
            string text = Encoding.UTF8.GetString(message.Slice(HeaderBytes, length));
            PostControlReceive();
            if (sender < 0 || sender >= Size || sender == Rank)
            {
                continue;
            }

            switch (kind)
            {
                case Probe:
                    Send(sender, Reply, _current ?? "no collective");
                    break;
                case Reply when _probing:
                    _replies[sender] = (sequence, text);
                    break;
                case Failure:
                    int bar = text.IndexOf('|', StringComparison.Ordinal);
                    int[] blamed = bar < 0 ? [sender]
                        : [.. text[..bar].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    _remoteFailure ??= (sender, bar >= 0 ? text[(bar + 1)..] : text, blamed);
                    Send(sender, Acknowledge, string.Empty);
                    break;
                case Acknowledge:
                    _acknowledged.Add(sender);
                    break;
            }
        }

        TestSends();
    }

    private void Send(int destination, int kind, string text)
    {
        byte* buffer = (byte*)NativeMemory.AllocZeroed(MessageBytes);
        var message = new Span<byte>(buffer, MessageBytes);
        BinaryPrimitives.WriteInt32LittleEndian(message, kind);
        BinaryPrimitives.WriteInt32LittleEndian(message[4..], Rank);
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], _sequence);
        byte[] bytes = Encoding.UTF8.GetBytes(Truncate(text, MessageBytes - HeaderBytes));
        int length = Math.Min(bytes.Length, MessageBytes - HeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(message[16..], length);
        bytes.AsSpan(0, length).CopyTo(message[HeaderBytes..]);
        int request = MpiLibrary.RequestNull;
        if (_mpi.MPI_Isend(buffer, MessageBytes, MpiLibrary.Byte, destination, ControlTag, _control, &request) == MpiLibrary.Success)
        {
            _sends.Add((request, (nint)buffer));
        }
        else
        {
            NativeMemory.Free(buffer);
        }
    }

    private void TestSends()
    {
        for (int i = _sends.Count - 1; i >= 0; i--)
        {
            int request = _sends[i].Request;
            int flag = 0;
            int code = _mpi.MPI_Test(&request, &flag, MpiLibrary.StatusIgnore);
            if (code == MpiLibrary.Success && flag != 0)
            {
                NativeMemory.Free((void*)_sends[i].Buffer);
                _sends.RemoveAt(i);
            }
            else if (code != MpiLibrary.Success)
            {
                // A send to a rank that is gone: forget it, and leave its buffer to MPI rather than free memory it may still read.
                _sends.RemoveAt(i);
            }
            else
            {
                _sends[i] = (request, _sends[i].Buffer);
            }
        }
    }

    private static string Truncate(string text, int bytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= bytes)
        {
            return text;
        }

        int length = Math.Min(text.Length, bytes - 3);
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > bytes - 3)
        {
            length--;
        }

        return string.Concat(text.AsSpan(0, length), "...");
    }
}
