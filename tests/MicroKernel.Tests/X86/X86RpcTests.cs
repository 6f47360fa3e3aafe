using Iced.Intel;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.X86;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Ipc;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>x86-64 code calls a C# service with the same rpc_call ABI; it cannot export one.</summary>
public sealed class X86RpcTests
{
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void An_x86_program_calls_a_CSharp_service_and_may_not_export(ProtectionModel model)
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
            a.mov(eax, (int)SyscallNumber.RpcExport);      // machine code cannot export: NotPermitted
            a.mov(edi, 0x400010);
            a.xor(esi, esi);
            a.mov(edx, 1);
            a.xor(r10d, r10d);
            a.xor(r8d, r8d);
            a.syscall();
            a.cmp(rax, (int)ErrorCode.NotPermitted);
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
}
