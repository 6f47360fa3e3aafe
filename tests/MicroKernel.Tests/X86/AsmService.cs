using Iced.Intel;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The contract of <see cref="AsmService"/>: method i here is entry i of the assembled service's vtable, so C# clients
/// call the machine code through the typed RPC API.
/// </summary>
public interface IAsmService
{
    /// <summary>a + b, counting the call in the object (self + 8).</summary>
    long Add(long a, long b);

    /// <summary>How many Add calls the object counted.</summary>
    long Calls();

    /// <summary>The OR of every general register a fresh context must start with 0 (rax, rbx, rcx, rdx, rsi, rbp, r8..r15).</summary>
    long Leftovers();

    /// <summary>rsp at the method's entry.</summary>
    long StackPointer();

    /// <summary>Reads address 0: a NotPresent fault of the service.</summary>
    long Crash();

    /// <summary>The word at <paramref name="address"/>, read by the service through the call's grant.</summary>
    long Peek(ulong address);

    /// <summary>
    /// A nested rpc_call(handle, methodWord, a0) from inside the method, with a marker pushed on the method's stack
    /// before and checked after (-1 when the stack was disturbed); returns the nested call's result.
    /// </summary>
    long Nested(long handle, long methodWord, long a0);

    /// <summary>Asks the service's main thread to exit 0.</summary>
    long Stop();

    /// <summary>Counts <paramref name="n"/> down in a loop (preemptible), then returns rsp.</summary>
    long Spin(long n);

    /// <summary>rpc_unexport of this object (its handle is at self + 24) from inside the call, and Stop; returns rpc_unexport's result.</summary>
    long Withdraw();

    /// <summary>The object's address (rdi).</summary>
    long Self();
}

/// <summary>
/// An RPC service in x86-64 machine code, assembled with Iced (docs/rpc.md, "x86 services"): main maps a page, lays
/// the service object out in it (word 0 = the vtable's address, the vtable at +64, the argument counts at +160),
/// exports it under <see cref="Name"/> (the handle goes to +24) and sleeps until Stop sets the flag at +16. Each method follows the ABI:
/// rdi = self, rsi, rdx, rcx, r8 = arguments, result in rax.
/// </summary>
internal static class AsmService
{
    public const string Name = "asm";

    private static readonly byte[] ArgCounts = [2, 0, 0, 0, 0, 1, 3, 0, 1, 0, 0];

    public static X86Program Image(bool useDecodeCache = true) =>
        X86Program.FromFlat("asm-service", FlatBinary.Create(Code(), FlatBinary.DefaultBase), useDecodeCache);

    private static byte[] Code() => X86TestMachine.Assemble(a =>
    {
        Label[] methods = [.. Enumerable.Range(0, ArgCounts.Length).Select(_ => a.CreateLabel())];
        Label name = a.CreateLabel(), wait = a.CreateLabel(), stop = a.CreateLabel(), bad = a.CreateLabel();

        // main: a zeroed read/write page for the object.
        a.mov(eax, (int)SyscallNumber.Map);
        a.xor(edi, edi);
        a.mov(esi, 4096);
        a.mov(edx, 3);
        a.syscall();
        a.mov(rbx, rax);
        a.lea(rax, __[rbx + 64]);
        a.mov(__qword_ptr[rbx], rax);
        for (int i = 0; i < methods.Length; i++)
        {
            a.lea(rax, __[methods[i]]);
            a.mov(__qword_ptr[rbx + 64 + 8 * i], rax);
            a.mov(__byte_ptr[rbx + 160 + i], ArgCounts[i]);
        }
        a.mov(eax, (int)SyscallNumber.RpcExport);
        a.mov(rdi, rbx);
        a.lea(rsi, __[rbx + 160]);
        a.mov(edx, ArgCounts.Length);
        a.lea(r10, __[name]);
        a.mov(r8d, Name.Length);
        a.syscall();
        a.mov(__qword_ptr[rbx + 24], rax);               // the handle (or an error), for tests to look at
        a.Label(ref wait);
        a.cmp(__qword_ptr[rbx + 16], 0);
        a.jne(stop);
        a.mov(eax, (int)SyscallNumber.Sleep);
        a.mov(edi, 1);
        a.syscall();
        a.jmp(wait);
        a.Label(ref stop);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.xor(edi, edi);
        a.syscall();

        // 0 Add(a, b)
        a.Label(ref methods[0]);
        a.inc(__qword_ptr[rdi + 8]);
        a.lea(rax, __[rsi + rdx]);
        a.ret();
        // 1 Calls()
        a.Label(ref methods[1]);
        a.mov(rax, __qword_ptr[rdi + 8]);
        a.ret();
        // 2 Leftovers()
        a.Label(ref methods[2]);
        a.or(rax, rbx);
        a.or(rax, rcx);
        a.or(rax, rdx);
        a.or(rax, rsi);
        a.or(rax, rbp);
        a.or(rax, r8);
        a.or(rax, r9);
        a.or(rax, r10);
        a.or(rax, r11);
        a.or(rax, r12);
        a.or(rax, r13);
        a.or(rax, r14);
        a.or(rax, r15);
        a.ret();
        // 3 StackPointer()
        a.Label(ref methods[3]);
        a.mov(rax, rsp);
        a.ret();
        // 4 Crash()
        a.Label(ref methods[4]);
        a.xor(eax, eax);
        a.mov(rax, __qword_ptr[rax]);
        a.ret();
        // 5 Peek(address)
        a.Label(ref methods[5]);
        a.mov(rax, __qword_ptr[rsi]);
        a.ret();
        // 6 Nested(handle, methodWord, a0): rpc_call(handle, methodWord, a0, 0, 0, 0) with a marker on the stack.
        a.Label(ref methods[6]);
        a.push(0x1234);
        a.mov(eax, (int)SyscallNumber.RpcCall);
        a.mov(rdi, rsi);
        a.mov(rsi, rdx);
        a.mov(rdx, rcx);
        a.xor(r10d, r10d);
        a.xor(r8d, r8d);
        a.xor(r9d, r9d);
        a.syscall();
        a.pop(rcx);
        a.cmp(rcx, 0x1234);
        a.jne(bad);
        a.ret();
        a.Label(ref bad);
        a.mov(rax, -1);
        a.ret();
        // 7 Stop()
        a.Label(ref methods[7]);
        a.mov(__qword_ptr[rdi + 16], 1);
        a.xor(eax, eax);
        a.ret();
        // 8 Spin(n)
        a.Label(ref methods[8]);
        a.dec(rsi);
        a.jnz(methods[8]);
        a.mov(rax, rsp);
        a.ret();

        // 9 Withdraw()
        a.Label(ref methods[9]);
        a.mov(__qword_ptr[rdi + 16], 1);
        a.mov(eax, (int)SyscallNumber.RpcUnexport);
        a.mov(rdi, __qword_ptr[rdi + 24]);
        a.syscall();
        a.ret();

        // 10 Self()
        a.Label(ref methods[10]);
        a.mov(rax, rdi);
        a.ret();

        a.Label(ref name);
        a.db(System.Text.Encoding.ASCII.GetBytes(Name));
    }, FlatBinary.DefaultBase);
}
