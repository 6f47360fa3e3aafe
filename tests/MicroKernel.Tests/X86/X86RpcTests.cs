using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Ipc;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// x86-64 code calls C# services with the same rpc_call ABI, and exports services of its own (docs/rpc.md, "x86
/// services"): <see cref="AsmService"/> is one, assembled with Iced.
/// </summary>
public class X86RpcTests
{
    /// <summary>These tests run their x86-64 programs on the interpreter (X86RpcTranslatedTests: on the translator).</summary>
    public X86RpcTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86RpcTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void An_x86_program_calls_a_CSharp_service_and_cannot_export_what_is_not_a_service_object(ProtectionModel model)
    {
        var k = new Kernel(new KernelConfig { Frames = 4096, Protection = model, MaxTicks = 100_000 });
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");
            sys.Sleep(500);
            return 0;
        });
        byte[] code = X86TestMachine.Assemble(a =>
        {
            Label lookup = a.CreateLabel(), found = a.CreateLabel(), done = a.CreateLabel(), name = a.CreateLabel();
            a.Label(ref lookup);
            a.mov(eax, (int)SyscallNumber.RpcLookup);
            a.lea(rdi, __[name]);
            a.mov(esi, 5);
            a.syscall();
            a.test(rax, rax);
            a.jns(found);
            a.mov(eax, (int)SyscallNumber.Yield);
            a.syscall();
            a.jmp(lookup);
            a.Label(ref found);
            a.mov(rdi, rax);                              // object
            a.mov(eax, (int)SyscallNumber.RpcCall);
            a.mov(esi, 2 | 2 << 16);                      // IProbe.Add, 2 arguments
            a.mov(edx, 40);
            a.mov(r10d, 2);
            a.xor(r8d, r8d);
            a.xor(r9d, r9d);
            a.syscall();
            a.mov(rbx, rax);
            a.mov(eax, (int)SyscallNumber.RpcExport);      // code is no service object: its first word is no vtable
            a.mov(edi, 0x400010);
            a.xor(esi, esi);
            a.mov(edx, 1);
            a.xor(r10d, r10d);
            a.xor(r8d, r8d);
            a.syscall();
            a.cmp(rax, (int)ErrorCode.InvalidArgument);
            a.jne(done);
            a.add(rbx, 100);
            a.Label(ref done);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.mov(rdi, rbx);
            a.syscall();
            a.Label(ref name);
            a.db("probe"u8.ToArray());
        }, FlatBinary.DefaultBase);
        X86Program image = X86Program.FromFlat("caller", FlatBinary.Create(code, FlatBinary.DefaultBase));
        k.Spawn(image, "caller", out Process? caller).ShouldBe(ErrorCode.Ok, image.LoadError);
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        caller!.ExitStatus.ShouldBe(142);
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A4 == (ulong)caller.Pid);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    private static RpcHandle<T> WaitFor<T>(Sys sys, string name) where T : class
    {
        long h;
        while ((h = Rpc.TryLookup(name)) < 0) sys.Yield();
        return new RpcHandle<T>((ulong)h);
    }

    // quantum: ticks before round-robin preempts; a long one lets a client make two calls in a row without the
    // scheduler running anyone in between (a restarted service must not re-export before the second call).
    private static Kernel Boot(ProtectionModel model, int quantum = 4) =>
        new(new KernelConfig { Frames = 4096, Protection = model, MaxTicks = 200_000, InstructionsPerTick = 100, Quantum = quantum });

    private static Process SpawnService(Kernel k, out X86Program image, FaultPolicy policy = FaultPolicy.Kill)
    {
        image = AsmService.Image();
        k.Spawn(image, "asm", out Process? p, faultPolicy: policy).ShouldBe(ErrorCode.Ok, image.LoadError);
        return p!;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_CSharp_client_calls_an_x86_service_whose_method_gets_self_and_the_arguments_in_registers(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out _);
        long first = 0, second = 0, calls = 0, badArgc = 0, noMethod = 0, withdrawn = -1, afterWithdraw = 0;
        int clientTid = 0;
        Process client = k.Spawn("client", sys =>
        {
            clientTid = sys.Tid;
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            first = Rpc.Call(asm, s => s.Add(40, 2));
            second = Rpc.Call(asm, s => s.Add(-10_000, 3)); // below the error range (-4095..-1) Rpc.Call throws for
            calls = Rpc.Call(asm, s => s.Calls());
            badArgc = Rpc.CallRaw(asm.Id, 0, 1, 40);             // the kernel checks against the exported counts
            noMethod = Rpc.CallRaw(asm.Id, typeof(IAsmService).GetMethods().Length, 0);
            withdrawn = Rpc.TryCall(asm, s => s.Withdraw());     // rpc_unexport from inside its own method (and Stop)
            afterWithdraw = Rpc.TryCall(asm, s => s.Calls());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        badArgc.ShouldBe((long)ErrorCode.BadArgCount);
        noMethod.ShouldBe((long)ErrorCode.NoSuchMethod);
        withdrawn.ShouldBe(0);
        afterWithdraw.ShouldBe((long)ErrorCode.NoSuchObject);
        first.ShouldBe(42);
        second.ShouldBe(-9_997);
        calls.ShouldBe(2); // self (rdi) is the exported object: its counter lives in the service's memory
        service.ExitStatus.ShouldBe(0);
        client.ExitStatus.ShouldBe(0);
        // The method ran on the client's thread, acting for the service.
        log.Events.Where(e => e.Kind == EventKind.RpcEnter).ShouldAllBe(e => e.Pid == service.Pid && e.Tid == clientTid && e.A4 == (ulong)client.Pid);
        log.Events.Count(e => e.Kind == EventKind.RpcEnter).ShouldBe(4);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_method_starts_in_a_fresh_context_on_a_stack_in_the_service_memory_that_calls_reuse(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out X86Program image);
        long leftovers = -1, rsp1 = 0, rsp2 = 0, sharedLeftovers = -1;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            // Leftovers takes no argument: what the caller leaves in a0..a3 must not reach the method.
            leftovers = Rpc.CallRaw(asm.Id, 2, 0, 0x1111, 0x2222, 0x3333, 0x4444);
            rsp1 = Rpc.Call(asm, s => s.StackPointer());
            rsp2 = Rpc.Call(asm, s => s.StackPointer());
            sharedLeftovers = Rpc.Call(asm, s => s.Leftovers());
            Rpc.Call(asm, s => s.Stop());
            return 0;
        });
        (RunResult r, _) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        leftovers.ShouldBe(0);
        sharedLeftovers.ShouldBe(0);
        (rsp1 % 16).ShouldBe(8);            // as after a call instruction: the return address is on top
        rsp2.ShouldBe(rsp1);                // one activation at a time: the same stack again
        image.ServiceStacksMapped.ShouldBe(1);
        service.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_method_stack_is_a_VMA_of_the_service_while_it_runs(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out _);
        string? area = null;
        long rsp = 0;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            rsp = Rpc.Call(asm, s => s.StackPointer());
            area = service.AddressSpace.Areas.SingleOrDefault(v => v.Contains((ulong)rsp))?.Name;
            Rpc.Call(asm, s => s.Stop());
            return 0;
        });
        k.RunLogged().Result.Outcome.ShouldBe(RunOutcome.Completed);
        area.ShouldBe("rpc stack");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Two_callers_preempted_inside_one_method_run_on_two_stacks(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out X86Program image);
        long a = 0, b = 0;
        int done = 0;
        for (int i = 0; i < 2; i++)
        {
            int me = i;
            k.Spawn($"client{i}", sys =>
            {
                var asm = WaitFor<IAsmService>(sys, AsmService.Name);
                long rsp = Rpc.Call(asm, s => s.Spin(20_000)); // 40,000 instructions: preempted many times
                if (me == 0) a = rsp; else b = rsp;
                if (++done == 2) Rpc.Call(asm, s => s.Stop());
                return 0;
            });
        }
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        a.ShouldNotBe(0);
        b.ShouldNotBe(0);
        a.ShouldNotBe(b);
        image.ServiceStacksMapped.ShouldBe(2);
        // Both calls were in progress at once.
        log.Events.ShouldContain(e => e.Kind == EventKind.Switch && e.Text == "preempt" && e.Pid == service.Pid);
        service.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_fault_in_an_x86_method_is_the_service_fault_and_its_supervisor_restarts_it(ProtectionModel model)
    {
        Kernel k = Boot(model, quantum: 1000);
        Process service = SpawnService(k, out _, FaultPolicy.Restart);
        long crashed = 0, restarting = 0, after = 0, calls = -1;
        ulong handle = 0, again = 0;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            handle = asm.Id;
            Rpc.Call(asm, s => s.Add(1, 1));
            crashed = Rpc.TryCall(asm, s => s.Crash());
            restarting = Rpc.TryCall(asm, s => s.Calls());
            again = WaitFor<IAsmService>(sys, AsmService.Name).Id;
            after = Rpc.Call(asm, s => s.Add(2, 3));
            calls = Rpc.Call(asm, s => s.Calls());
            Rpc.Call(asm, s => s.Stop());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        crashed.ShouldBe((long)ErrorCode.PeerFaulted);
        restarting.ShouldBe((long)ErrorCode.ServiceRestarting);
        again.ShouldBe(handle);            // the restarted service exported its name again: the same handle
        after.ShouldBe(5);
        calls.ShouldBe(1);                 // fresh memory after the restart
        MemoryFaultShouldBeAtZero(service);
        service.Restarts.ShouldBe(1);
        service.ExitStatus.ShouldBe(0);
        log.Events.ShouldContain(e => e.Kind == EventKind.Fault && e.Pid == service.Pid && e.Text!.Contains("mov rax,[rax]"));
        k.RpcStats.CalleeFaults.ShouldBe(1);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_call_in_progress_returns_PeerFaulted_when_another_call_kills_the_service(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out _);
        long spinning = 0, crashing = 0;
        bool inside = false;
        k.Spawn("spinner", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            inside = true;
            spinning = Rpc.TryCall(asm, s => s.Spin(1_000_000));   // preempted inside the method, many times
            return 0;
        });
        k.Spawn("crasher", sys =>
        {
            while (!inside) sys.Yield();
            sys.Yield();
            crashing = Rpc.TryCall(WaitFor<IAsmService>(sys, AsmService.Name), s => s.Crash());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        crashing.ShouldBe((long)ErrorCode.PeerFaulted);
        spinning.ShouldBe((long)ErrorCode.PeerFaulted);      // its grant was revoked; the thread unwound to the call
        service.State.ShouldBe(ProcessState.Exited);
        service.Faults.ShouldHaveSingleItem();
        log.Events.Count(e => e.Kind == EventKind.RpcReturn && e.Result == (long)ErrorCode.PeerFaulted).ShouldBe(2);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_service_without_room_for_a_method_stack_refuses_the_call_and_runs_nothing(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out X86Program image);
        long refused = 0, calls = -1, after = 0;
        ulong filler = 0;
        ErrorCode fill = ErrorCode.Ok, unmapped = ErrorCode.InvalidArgument;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            // Every MPU region the service may use is taken: a method stack cannot be mapped.
            while ((fill = service.AddressSpace.Map(0, 4096, Protection.Read, "filler", out ulong at)) == ErrorCode.Ok) filler = at;
            refused = Rpc.TryCall(asm, s => s.Add(1, 2));
            calls = Rpc.TryCall(asm, s => s.Calls());                // still refused: nothing ran
            unmapped = service.AddressSpace.Unmap(filler, 4096);
            after = Rpc.Call(asm, s => s.Add(1, 2));
            Rpc.Call(asm, s => s.Stop());
            return 0;
        });
        (RunResult r, _) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        fill.ShouldBe(ErrorCode.NoMpuRegion);
        unmapped.ShouldBe(ErrorCode.Ok);
        refused.ShouldBe((long)ErrorCode.NoMpuRegion);
        calls.ShouldBe((long)ErrorCode.NoMpuRegion);
        after.ShouldBe(3);
        image.ServiceStacksMapped.ShouldBe(1);
        service.Faults.ShouldBeEmpty();
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_cpu_with_a_return_address_stops_there_without_fetching(bool set)
    {
        const ulong sentinel = X86Program.ReturnSentinel;
        X86TestMachine m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 5);
            a.ret();
        });
        m.Regs.Rsp -= 8;
        m.Memory.Poke(m.Regs.Rsp, BitConverter.GetBytes(sentinel));
        if (set) m.Cpu.ReturnAddress = sentinel;

        StopReason stop = m.Run();

        m.Regs.Rax.ShouldBe(5UL);
        m.Regs.Rip.ShouldBe(sentinel);
        if (set)
        {
            stop.ShouldBe(StopReason.Returned);
            m.Cpu.LastFault.ShouldBeNull();
            m.Cpu.InstructionsRetired.ShouldBe(2);
        }
        else
        {
            stop.ShouldBe(StopReason.Fault);                 // the fetch from the sentinel faults
            m.Cpu.LastFault!.Memory!.Value.Address.ShouldBe(sentinel);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_vtable_the_service_broke_faults_the_service_at_the_call(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out _, FaultPolicy.Restart);
        long self = 0, badVtable = 0, badCode = 0;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            self = Rpc.Call(asm, s => s.Self());
            // What a buggy service could do to itself: its vtable pointer now points nowhere.
            service.AddressSpace.TryWriteUInt64((ulong)self, 0xFFFF_F000, out _);
            badVtable = Rpc.TryCall(asm, s => s.Add(1, 2));
            asm = WaitFor<IAsmService>(sys, AsmService.Name);   // restarted, exported again
            self = Rpc.Call(asm, s => s.Self());
            // Method 0 now "is" the object's own (read/write, not executable) page.
            service.AddressSpace.TryReadUInt64((ulong)self, out ulong vtable, out _);
            service.AddressSpace.TryWriteUInt64(vtable, (ulong)self, out _);
            badCode = Rpc.TryCall(asm, s => s.Add(1, 2));
            Rpc.Call(WaitFor<IAsmService>(sys, AsmService.Name), s => s.Stop());
            return 0;
        });
        (RunResult r, _) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        badVtable.ShouldBe((long)ErrorCode.PeerFaulted);
        badCode.ShouldBe((long)ErrorCode.PeerFaulted);
        service.Faults.Count.ShouldBe(2);
        service.Faults[0].Address.ShouldBe(0xFFFF_F000UL);
        service.Faults[0].Detail.ShouldContain("vtable entry 0");
        service.Faults[1].Address.ShouldBe((ulong)self);
        service.Faults[1].Access.ShouldBe(AccessKind.Execute);
        service.Restarts.ShouldBe(2);
        k.ShouldBalance();
    }

    private static void MemoryFaultShouldBeAtZero(Process service)
    {
        FaultRecord fault = service.Faults.ShouldHaveSingleItem();
        fault.Address.ShouldBe(0UL);
        fault.Access.ShouldBe(AccessKind.Read);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_method_sees_its_caller_SHARED_buffer_during_that_call_only(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out _, FaultPolicy.Restart);
        ulong shared = 0, own = 0;
        long peekShared = 0, peekOwn = 0, peekByOther = 0;
        bool aDone = false;
        k.Spawn("a", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            shared = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(shared, 0xC0FFEE);
            // Away from the service's own maps (under paging, virtual addresses are per process).
            own = sys.Map(4096, address: model == ProtectionModel.Paging ? 0x7000_0000UL : 0);
            sys.Memory.WriteUInt64(own, 7);
            peekShared = Rpc.Call(asm, s => s.Peek(shared));
            peekOwn = Rpc.TryCall(asm, s => s.Peek(own));   // not SHARED: not granted
            aDone = true;
            sys.Sleep(50);
            return 0;
        });
        k.Spawn("b", sys =>
        {
            while (!aDone) sys.Yield();
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            peekByOther = Rpc.TryCall(asm, s => s.Peek(shared)); // a's buffer, in b's call: not granted
            Rpc.Call(WaitFor<IAsmService>(sys, AsmService.Name), s => s.Stop());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        peekShared.ShouldBe(0xC0FFEE);
        peekOwn.ShouldBe((long)ErrorCode.PeerFaulted);
        peekByOther.ShouldBe((long)ErrorCode.PeerFaulted);
        service.Faults.Select(f => f.Address).ShouldBe([own, shared]);
        service.Restarts.ShouldBe(2);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void An_x86_method_calls_a_CSharp_service_which_calls_the_x86_service_again_on_a_second_stack(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process service = SpawnService(k, out X86Program image);
        // A C# service whose Add calls back into the x86 service (re-entrancy on one thread: depth 3).
        k.Spawn("relay", sys =>
        {
            Rpc.Export<IProbe>(new Relay(), "relay");
            sys.Sleep(400);
            return 0;
        });
        long direct = 0, reentrant = 0, calls = 0;
        k.Spawn("client", sys =>
        {
            var asm = WaitFor<IAsmService>(sys, AsmService.Name);
            var relay = WaitFor<IProbe>(sys, "relay");
            // Nested(relay, Peek | 1 << 16, 0): x86 -> C# at depth 2 (Relay.Peek returns 77 without memory).
            direct = Rpc.Call(asm, s => s.Nested((long)relay.Id, 0 | 1 << 16, 0));
            // Nested(relay, Add | 2 << 16, handle): x86 -> C# -> x86 Add at depth 3.
            reentrant = Rpc.Call(asm, s => s.Nested((long)relay.Id, 2 | 2 << 16, (long)asm.Id));
            calls = Rpc.Call(asm, s => s.Calls());
            Rpc.Call(asm, s => s.Stop());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        direct.ShouldBe(77);
        reentrant.ShouldBe(1000 + 10);     // the relay's Add(handle, 10) -> asm.Add(1000, 10); the marker survived
        calls.ShouldBe(1);
        image.ServiceStacksMapped.ShouldBe(2);
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 3 && e.Pid == service.Pid);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    private sealed class Relay : IProbe
    {
        public long Peek(ulong address) => 77;

        public void Poke(ulong address, long value) { }

        // a = the x86 service's handle: calls its Add(1000, 10) from inside this method.
        public long Add(long a, long b) => Rpc.Call(new RpcHandle<IAsmService>((ulong)a), s => s.Add(1000, 10));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Export_checks_the_object_and_every_vtable_entry(ProtectionModel model)
    {
        Kernel k = Boot(model);
        X86Program image = AsmService.Image();
        k.Spawn(image, "asm", out Process? p).ShouldBe(ErrorCode.Ok, image.LoadError);
        ulong page = 0;
        p!.AddressSpace.Map(0, 4096, Protection.ReadWrite, "test", out page).ShouldBe(ErrorCode.Ok);
        ulong code = FlatBinary.DefaultBase;
        p.AddressSpace.TryWriteUInt64(page, page + 64, out _).ShouldBeTrue();      // object -> vtable
        p.AddressSpace.TryWriteUInt64(page + 64, code, out _).ShouldBeTrue();      // method 0: code
        p.AddressSpace.TryWriteUInt64(page + 72, page, out _).ShouldBeTrue();      // method 1: data, not code

        image.IsValidService(p, page, 1).ShouldBeTrue();
        image.IsValidService(p, page, 2).ShouldBeFalse();                          // entry 1 is not code
        image.IsValidService(p, 0xFFFF_F000, 1).ShouldBeFalse();                   // no object there
        image.IsValidService(p, page + 8, 1).ShouldBeFalse();                      // its first word (0) is no vtable
        image.IsValidEntry(p, page, EntryKind.Service).ShouldBeTrue();
        image.IsValidEntry(p, page, EntryKind.Thread).ShouldBeFalse();             // threads still start at code
        image.CanExportServices.ShouldBeTrue();
    }
}
