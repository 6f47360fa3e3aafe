using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.X86;

/// <summary>
/// The CPU's view of memory inside the kernel: every fetch, load and store goes through the current thread's
/// address space (MMU or MPU), exactly like a C# program's accesses. Stores resolve copy-on-write like any
/// other user write. Like them, each access first checks that the calling host thread holds the CPU.
/// </summary>
public sealed class KernelX86Memory : IX86Memory
{
    private SimThread _thread;
    private readonly PhysicalMemory _ram;

    /// <summary>Serves <paramref name="thread"/>'s accesses (through <see cref="SimThread.Space"/>, which RPC may swap).</summary>
    public KernelX86Memory(SimThread thread)
    {
        _thread = thread;
        _ram = thread.Kernel.Machine.Memory;
    }

    /// <summary>
    /// The thread whose accesses this serves. An x86 service keeps the CPUs of finished RPC method calls (their
    /// decode caches stay warm) and hands one to each calling thread in turn; it must be a thread of the same kernel.
    /// </summary>
    public SimThread Thread
    {
        get => _thread;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!ReferenceEquals(value.Kernel.Machine.Memory, _ram)) throw new ArgumentException("a thread of another machine", nameof(value));
            _thread = value;
        }
    }

    /// <inheritdoc />
    public MemoryFault? Read(ulong address, Span<byte> destination, AccessKind kind)
    {
        _thread.CheckCpu(kind == AccessKind.Execute ? "x86 fetch" : "x86 load", address, destination.Length);
        MemoryView space = _thread.Space;
        // The common case, an access inside one page: one translation, one copy.
        if ((address & 0xFFF) + (ulong)destination.Length <= 0x1000 && destination.Length > 0)
        {
            if (!space.TryTranslate(address, destination.Length, kind, out ulong pa, out MemoryFault fault)) return fault;
            _ram.Slice(pa, destination.Length, forWrite: false).CopyTo(destination);
            return null;
        }
        bool ok = kind == AccessKind.Execute ? space.TryFetch(address, destination, out MemoryFault f) : space.TryRead(address, destination, out f);
        return ok ? null : f;
    }

    /// <inheritdoc />
    public MemoryFault? Write(ulong address, ReadOnlySpan<byte> source)
    {
        _thread.CheckCpu("x86 store", address, source.Length);
        MemoryView space = _thread.Space;
        if ((address & 0xFFF) + (ulong)source.Length <= 0x1000 && source.Length > 0
            && space.TryTranslate(address, source.Length, AccessKind.Write, out ulong pa, out _))
        {
            source.CopyTo(_ram.Slice(pa, source.Length, forWrite: true));
            return null;
        }
        // Crossing a page, or refused: the general path checks every page first and resolves copy-on-write.
        return space.TryWrite(address, source, out MemoryFault fault) ? null : fault;
    }

    private X86DirectPaging? _direct; // the last one handed out, kept while the thread's space and root stay the same

    /// <summary>
    /// The TLB-hit path translated code may take itself during one <see cref="X86Cpu.Run"/>, or null when every access
    /// must come here (an MPU space, an RPC grant, a destroyed space). Checks once that the calling host thread holds
    /// the CPU, as each access here does: a run does not change the holder.
    /// </summary>
    internal X86DirectPaging? DirectPaging()
    {
        _thread.CheckCpu("x86 run", 0, 0);
        if (_thread.Space is not PagedAddressSpace paged) return null;
        if (_direct is { } d && d.Root == paged.LoadedRoot) return d;
        return _direct = new X86DirectPaging(_thread.Kernel.Machine.Mmu, paged.LoadedRoot, _thread.Kernel.Machine.Memory);
    }

    /// <inheritdoc />
    public MemoryFault? CodePageVersion(ulong address, out ulong version)
    {
        version = 0;
        ulong page = address & ~0xFFFUL;
        if (!_thread.Space.TryTranslate(page, 1, AccessKind.Execute, out ulong pa, out MemoryFault fault)) return fault;
        // The frame and its write generation: a write (by anyone), an unmap or a remap changes one of the two.
        ulong frame = pa >> PhysicalMemory.FrameShift;
        version = (frame << 32) | _ram.WriteGeneration(frame);
        return null;
    }
}
