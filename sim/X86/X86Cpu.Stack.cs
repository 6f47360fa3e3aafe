using Iced.Intel;

namespace MicroKernel.X86;

// The stack and calls: push, pop, popf, leave, call, ret, jmp targets and loop.
public sealed partial class X86Cpu
{
    private void PushValue(ulong value, int size)
    {
        ulong rsp = _regs.Rsp - (ulong)size;
        WriteMem(rsp, value, size); // store first: if it faults, rsp is unchanged
        _regs.Rsp = rsp;
    }

    private void Push(in Instruction ins)
    {
        int size = -ins.StackPointerIncrement; // 8, or 2 with a 0x66 prefix
        PushValue(ReadOp(in ins, 0, size), size); // "push rsp" pushes the value before the decrement
    }

    private void Pop(in Instruction ins)
    {
        int size = ins.StackPointerIncrement;
        ulong oldRsp = _regs.Rsp;
        ulong value = ReadMem(oldRsp, size);
        ulong newRsp = oldRsp + (ulong)size;
        if (ins.Op0Kind == OpKind.Memory)
        {
            // A memory destination is addressed with the incremented rsp ("pop [rsp]" writes above the old top).
            _regs.Rsp = newRsp;
            ulong address;
            try
            {
                address = EffectiveAddress(in ins);
            }
            finally
            {
                _regs.Rsp = oldRsp;
            }
            WriteMem(address, value, size);
            _regs.Rsp = newRsp;
        }
        else
        {
            _regs.Rsp = newRsp;
            WriteReg(ins.Op0Register, value); // "pop rsp" ends with the popped value
        }
    }

    private void Popf()
    {
        ulong value = ReadMem(_regs.Rsp, 8);
        _regs.Rsp += 8;
        _regs.Rflags = (_regs.Rflags & ~X86Flags.UserWritable) | (value & X86Flags.UserWritable) | X86Flags.Reserved1;
    }

    private void Leave(in Instruction ins)
    {
        int size = ins.Code == Code.Leaveq ? 8 : 2;
        ulong rbp = _regs.Rbp;
        ulong value = ReadMem(rbp, size); // mov rsp, rbp; pop rbp -- read before anything changes
        _regs.Rsp = rbp + (ulong)size;
        WriteReg(size == 8 ? Register.RBP : Register.BP, value);
    }

    /// <summary>The target of a jmp or call: a relative displacement, or a register or memory operand.</summary>
    private ulong BranchTarget(in Instruction ins) =>
        ins.Op0Kind == OpKind.NearBranch64 ? ins.NearBranch64 : ins.Op0Kind switch
        {
            OpKind.Register or OpKind.Memory when ins.Code is Code.Jmp_rm64 or Code.Call_rm64 => ReadOp(in ins, 0, 8),
            _ => throw Illegal($"{MnemonicName(in ins)} form {ins.Code}"),
        };

    private void Call(in Instruction ins)
    {
        ulong target = BranchTarget(in ins); // read the target (may fault) before pushing
        PushValue(ins.NextIP, 8);
        _regs.Rip = target;
    }

    private void Ret(in Instruction ins)
    {
        if (ins.Code is not (Code.Retnq or Code.Retnq_imm16))
            throw Illegal($"ret form {ins.Code}");
        ulong target = ReadMem(_regs.Rsp, 8);
        ulong release = ins.Code == Code.Retnq_imm16 ? ins.Immediate16 : 0UL; // ret imm16 also drops the arguments
        _regs.Rsp += 8 + release;
        _regs.Rip = target;
    }

    /// <summary>LOOP/LOOPE/LOOPNE: decrement the counter (no flags) and branch while it is not zero (and ZF agrees).</summary>
    private void Loop(in Instruction ins)
    {
        bool ecx = ins.Code is Code.Loop_rel8_64_ECX or Code.Loope_rel8_64_ECX or Code.Loopne_rel8_64_ECX;
        ulong counter = ecx ? (uint)(_regs.Rcx - 1) : _regs.Rcx - 1;
        if (ecx)
            WriteReg(Register.ECX, counter);
        else
            _regs.Rcx = counter;
        bool zf = (_regs.Rflags & X86Flags.ZF) != 0;
        bool taken = counter != 0 && ins.Mnemonic switch
        {
            Mnemonic.Loope => zf,
            Mnemonic.Loopne => !zf,
            _ => true,
        };
        _regs.Rip = taken ? ins.NearBranch64 : ins.NextIP;
    }
}
