using System.Globalization;
using Iced.Intel;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The TLB hit inlined in compiled blocks (X86Emitter.Memory.cs): a loop over one page takes no call-out to the MMU
/// path per access (<see cref="X86Cpu.MemoryCallOuts"/> stays O(1), not O(accesses)), and everything the hit may not
/// serve still calls out with the interpreter's exact result: a cold page, the first store to a clean page (the walk
/// sets D), a page crossing, a fault in the middle of a block, an MPU space, a TLB of one entry. Each program runs in a
/// kernel under both CPUs (every block compiled at once), which must leave the same exit, faults, TLB counts and
/// Accessed/Dirty bits.
/// </summary>
public sealed class X86InlineTlbHitTests
{
    private const int Turns = 20_000;

    /// <summary>What a run leaves behind, and the translating CPU's call-outs (0 when interpreted).</summary>
    private static (string State, long CallOuts, long Hits) Run(Action<Assembler> build, X86CpuMode mode,
        ProtectionModel protection = ProtectionModel.Paging, int tlbSize = 64, bool inlineHits = true)
    {
        var a = new Assembler(64);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        var kernel = new Kernel(new KernelConfig { Frames = 4096, Protection = protection, TlbSize = tlbSize, MaxTicks = 10_000 });
        X86Program image = X86Program.FromFlat("hits", FlatBinary.Create(stream.ToArray()));
        image.CpuMode = mode;
        image.TranslationThreshold = 0;
        var cpus = new List<X86Cpu>();
        image.CpuCreatedForTests = cpu =>
        {
            cpu.InlineTlbHits = inlineHits;
            cpus.Add(cpu);
        };
        kernel.Spawn(image, "hits", out Process? p).ShouldBe(ErrorCode.Ok, image.LoadError);
        RunResult result = kernel.Run();
        var text = new StringWriter(CultureInfo.InvariantCulture);
        text.WriteLine($"outcome {result.Outcome} at tick {result.Ticks}, exit {p!.ExitStatus}");
        foreach (FaultRecord f in p.Faults)
            text.WriteLine($"fault {f}");
        Hardware.Paging.Tlb tlb = kernel.Machine.Mmu.Tlb;
        text.WriteLine($"tlb {tlb.Hits} hits, {tlb.Misses} misses, {tlb.Flushes} flushes");
        if (p.AddressSpace is PagedAddressSpace space && !space.IsDestroyed)
            foreach ((ulong va, ulong _) in space.UserFrames())
                text.WriteLine($"0x{va:x}: {Hardware.Paging.Pte.Describe(space.QueryEntry(va))}");
        X86Cpu cpu = cpus.ShouldHaveSingleItem();
        if (mode == X86CpuMode.Translate)
            cpu.BlocksTranslated.ShouldBeGreaterThan(0);
        return (text.ToString(), cpu.MemoryCallOuts, tlb.Hits);
    }

    /// <summary>Runs under both CPUs: the same state; returns the translated run's call-outs and TLB hits.</summary>
    private static (long CallOuts, long Hits) BothCpus(Action<Assembler> build, ProtectionModel protection = ProtectionModel.Paging, int tlbSize = 64)
    {
        (string interpreted, long none, _) = Run(build, X86CpuMode.Interpret, protection, tlbSize);
        (string translated, long callOuts, long hits) = Run(build, X86CpuMode.Translate, protection, tlbSize);
        translated.ShouldBe(interpreted);
        none.ShouldBe(0); // the interpreter has no compiled code to call out from
        return (callOuts, hits);
    }

    /// <summary>Ends the program: exit with al.</summary>
    private static void Exit(Assembler a)
    {
        a.movzx(edi, al);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
    }

    /// <summary>A loop of Turns turns, each a store and a load on the stack's top page.</summary>
    private static void StackLoop(Assembler a)
    {
        Label loop = a.CreateLabel();
        a.xor(eax, eax);
        a.mov(ecx, Turns);
        a.Label(ref loop);
        a.mov(__qword_ptr[rsp - 16], rcx);
        a.add(rax, __qword_ptr[rsp - 16]);
        a.sub(ecx, 1);
        a.jne(loop);
        Exit(a);
    }

    [Fact]
    public void A_loop_over_one_page_takes_its_hits_inline_without_a_call_out_per_access()
    {
        (long callOuts, long hits) = BothCpus(StackLoop);
        // 2 accesses a turn; the kernel's scheduling points (every 1000 instructions) may evict the stack page's
        // entry, so a few call-outs per tick are allowed: far fewer than the accesses.
        callOuts.ShouldBeLessThan(Turns / 50);
        hits.ShouldBeGreaterThanOrEqualTo(2L * Turns - callOuts);
    }

    [Fact]
    public void With_the_hit_helper_instead_of_the_inlined_hit_the_run_is_the_same()
    {
        (string interpreted, _, _) = Run(StackLoop, X86CpuMode.Interpret);
        (string translated, long callOuts, _) = Run(StackLoop, X86CpuMode.Translate, inlineHits: false);
        translated.ShouldBe(interpreted);
        callOuts.ShouldBeLessThan(Turns / 50);
    }

    [Fact]
    public void In_an_mpu_space_every_access_calls_out_with_the_interpreters_result()
    {
        (long callOuts, _) = BothCpus(StackLoop, ProtectionModel.ArmV8Mpu);
        callOuts.ShouldBeGreaterThan(2L * Turns * 9 / 10); // all but the turns a scheduling point cut (interpreted)
    }

    [Fact]
    public void With_a_tlb_of_one_entry_every_access_calls_out_since_a_page_crossing_could_match_the_slot()
    {
        (long callOuts, _) = BothCpus(StackLoop, tlbSize: 1);
        callOuts.ShouldBeGreaterThan(2L * Turns * 9 / 10); // all but the turns a scheduling point cut (interpreted)
    }

    /// <summary>
    /// One block on the stack pages below the top one (untouched: cold and clean): a load (miss), a store to the same
    /// page (its entry lacks write permission until the walk sets D), a store and a load across a page end, then
    /// a loop over the now cached and dirty page.
    /// </summary>
    [Fact]
    public void A_cold_page_a_clean_pages_first_store_and_a_page_crossing_call_out_with_exact_bits()
    {
        (long callOuts, _) = BothCpus(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(rbp, rsp);
            a.and(rbp, -4096);
            a.mov(rdx, __qword_ptr[rbp - 8192]);        // cold page: a miss
            a.mov(__qword_ptr[rbp - 8192 + 8], rbp);    // clean page: read-only TLB entry, the walk sets D
            a.mov(__qword_ptr[rbp - 4096 - 4], rbp);    // crosses into the next page
            a.mov(rax, __qword_ptr[rbp - 4096 - 4]);    // and back
            a.mov(ecx, Turns);
            a.Label(ref loop);
            a.add(__qword_ptr[rbp - 8192 + 16], rcx);   // a load and a store, both hits now
            a.sub(ecx, 1);
            a.jne(loop);
            a.add(rax, __qword_ptr[rbp - 8192 + 16]);
            Exit(a);
        });
        callOuts.ShouldBeGreaterThanOrEqualTo(4);
        callOuts.ShouldBeLessThan(Turns / 50);
    }

    /// <summary>A fault in the middle of a block, after hits: the same fault, registers and bits as the interpreter.</summary>
    [Fact]
    public void A_fault_in_the_middle_of_a_block_after_hits_reports_the_interpreters_state()
    {
        BothCpus(a =>
        {
            a.mov(eax, 7);
            a.mov(__qword_ptr[rsp - 8], rax);           // a hit (the stack's top page was written by the kernel)
            a.add(rax, __qword_ptr[rsp - 8]);
            a.mov(rbx, 0x1000);
            a.mov(__qword_ptr[rbx], rax);               // unmapped: the call-out faults
            a.mov(eax, 1);
            Exit(a);
        }).CallOuts.ShouldBeGreaterThanOrEqualTo(1);
    }
}
