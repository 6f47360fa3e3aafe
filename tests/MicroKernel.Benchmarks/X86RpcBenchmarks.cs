using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The cost of calling an x86 service from x86 code (docs/rpc.md, "x86 services"): an rpc_call round trip whose
/// method runs in a fresh CPU context on a pooled stack of the callee, against a null syscall (getpid) made by the
/// same kind of loop, in the same run. Both programs are assembled with Iced and run at the default KernelConfig
/// (InstructionsPerTick 1000; AccessesPerTick does not apply to x86 code). Each invocation boots a paging kernel
/// with the service and a client making <see cref="Calls"/> calls.
/// </summary>
[BenchmarkCategory("x86-rpc")]
public class X86RpcBenchmarks
{
    private const int Calls = 20_000;
    private static readonly byte[] Service = AssembleService();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public long NullSyscallFromX86() => Run(rpc: false);

    [Benchmark(OperationsPerInvoke = Calls)]
    public long RpcCallX86ToX86() => Run(rpc: true);

    private static long Run(bool rpc)
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = long.MaxValue });
        k.Spawn(X86Program.FromFlat("adder", FlatBinary.Create(Service)), "adder", out Process? _);
        k.Spawn(X86Program.FromFlat("client", FlatBinary.Create(AssembleClient(rpc))), "client", out Process? c);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || c!.ExitStatus != 0) throw new InvalidOperationException($"benchmark run failed: {r.Outcome} {c?.ExitStatus}");
        return c.ExitStatus;
    }

    private static byte[] Assemble(Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        return stream.ToArray();
    }

    // Exports "adder" (object in a mapped page: vtable at +64, argument counts at +128): 0 Add(a, b), 1 Stop().
    private static byte[] AssembleService() => Assemble(a =>
    {
        Label add = a.CreateLabel(), stop = a.CreateLabel(), name = a.CreateLabel(), wait = a.CreateLabel(), done = a.CreateLabel();
        a.mov(eax, (int)SyscallNumber.Map);
        a.xor(edi, edi);
        a.mov(esi, 4096);
        a.mov(edx, 3);
        a.syscall();
        a.mov(rbx, rax);
        a.lea(rax, __[rbx + 64]);
        a.mov(__qword_ptr[rbx], rax);
        a.lea(rax, __[add]);
        a.mov(__qword_ptr[rbx + 64], rax);
        a.lea(rax, __[stop]);
        a.mov(__qword_ptr[rbx + 72], rax);
        a.mov(__byte_ptr[rbx + 128], 2);
        a.mov(eax, (int)SyscallNumber.RpcExport);
        a.mov(rdi, rbx);
        a.lea(rsi, __[rbx + 128]);
        a.mov(edx, 2);
        a.lea(r10, __[name]);
        a.mov(r8d, 5);
        a.syscall();
        a.Label(ref wait);
        a.cmp(__qword_ptr[rbx + 16], 0);
        a.jne(done);
        a.mov(eax, (int)SyscallNumber.Sleep);
        a.mov(edi, 1000);
        a.syscall();
        a.jmp(wait);
        a.Label(ref done);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.xor(edi, edi);
        a.syscall();
        a.Label(ref add);
        a.lea(rax, __[rsi + rdx]);
        a.ret();
        a.Label(ref stop);
        a.mov(__qword_ptr[rdi + 16], 1);
        a.xor(eax, eax);
        a.ret();
        a.Label(ref name);
        a.db("adder"u8.ToArray());
    });

    // Looks "adder" up, makes Calls calls of Add(i, 1) (or getpid), stops the service, exits 0 when the sum is right.
    private static byte[] AssembleClient(bool rpc) => Assemble(a =>
    {
        Label lookup = a.CreateLabel(), found = a.CreateLabel(), loop = a.CreateLabel(), name = a.CreateLabel();
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
        a.mov(r12, rax);
        a.mov(r13d, Calls);
        a.xor(r14d, r14d);
        a.Label(ref loop);
        if (rpc)
        {
            a.mov(eax, (int)SyscallNumber.RpcCall);
            a.mov(rdi, r12);
            a.mov(esi, 0 | 2 << 16);
            a.mov(rdx, r13);
            a.mov(r10d, 1);
            a.syscall();
            a.add(r14, rax);
        }
        else
        {
            a.mov(eax, (int)SyscallNumber.GetPid);
            a.syscall();
            a.lea(r14, __[r14 + r13 + 1]); // the same sum, so both loops check the same thing
        }
        a.dec(r13);
        a.jnz(loop);
        a.mov(eax, (int)SyscallNumber.RpcCall);       // Stop()
        a.mov(rdi, r12);
        a.mov(esi, 1);
        a.syscall();
        a.mov(rax, (long)Calls * (Calls + 1) / 2 + Calls);
        a.xor(edi, edi);
        a.cmp(r14, rax);
        a.setne(dil);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        a.Label(ref name);
        a.db("adder"u8.ToArray());
    });
}
