using System.Globalization;
using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tracing;

/// <summary>
/// Turns events into strace-like lines: <c>[pid 3 tid 4] map(0x0, 8192, rw-) = 0x10000000</c>.
/// Used by the demo's account, <c>trace show</c> and test failure messages.
/// </summary>
public sealed class EventFormatter(SyscallTable table)
{
    /// <summary>The syscall's name, or "syscall_N" for an unknown number.</summary>
    public string SyscallName(long number) => table.Find(number)?.Name ?? string.Create(CultureInfo.InvariantCulture, $"syscall_{number}");

    /// <summary>"name(args) = result" for a syscall exit event.</summary>
    public string FormatCall(KernelEvent e)
    {
        SyscallInfo? info = table.Find(e.Code);
        var sb = new StringBuilder(SyscallName(e.Code)).Append('(');
        ulong[] args = [e.A0, e.A1, e.A2, e.A3, e.A4, e.A5];
        int n = info?.Args.Count ?? 6;
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(", ");
            ArgFormat f = info?.Args[i].Format ?? ArgFormat.Hex;
            sb.Append(f switch
            {
                ArgFormat.Int => ((long)args[i]).ToString(CultureInfo.InvariantCulture),
                ArgFormat.Prot => args[i] <= 7 ? ((Protection)args[i]).ToRwx()
                    : args[i] is >= (ulong)MapFlags.LargePages and <= (ulong)MapFlags.LargePages + 7 ? ((Protection)(args[i] & 7)).ToRwx() + "|large"
                    : $"0x{args[i]:x}",
                ArgFormat.SendFlags => SendFlagBits.Describe(args[i]),
                ArgFormat.RpcMethod => $"m{args[i] & 0xFFFF}/{args[i] >> 16}",
                _ => $"0x{args[i]:x}",
            });
        }
        sb.Append(") = ").Append(info?.ResultFormat == ArgFormat.Hex && e.Result >= 0 ? $"0x{e.Result:x}" : FormatResult(e.Result));
        return sb.ToString();
    }

    /// <summary>A result as a number, or "-3 BadAddress" for an error.</summary>
    public static string FormatResult(long result) =>
        result < 0 && Enum.IsDefined((ErrorCode)result) ? string.Create(CultureInfo.InvariantCulture, $"{result} {(ErrorCode)result}") : result.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line for any event, prefixed with tick, pid and tid.</summary>
    public string Format(KernelEvent e)
    {
        string who = e.Pid == 0 ? "[kernel]" : e.Tid == 0 ? $"[pid {e.Pid}]" : $"[pid {e.Pid} tid {e.Tid}]";
        string what = e.Kind switch
        {
            EventKind.ProcessStart => $"process start \"{e.Text}\"",
            EventKind.ProcessExit => string.Create(CultureInfo.InvariantCulture, $"process exit, status {e.Code}"),
            EventKind.ThreadStart => $"thread start \"{e.Text}\" at 0x{e.A0:x}",
            EventKind.ThreadExit => string.Create(CultureInfo.InvariantCulture, $"thread exit, code {e.Code}"),
            EventKind.SyscallEnter => $"{SyscallName(e.Code)}(...) entered",
            EventKind.SyscallExit => FormatCall(e),
            EventKind.Fault => $"FAULT {(FaultReason)e.Code} on {((AccessKind)e.A1).ToString().ToLowerInvariant()} at 0x{e.A0:x}{(string.IsNullOrEmpty(e.Text) ? "" : " (" + e.Text + ")")}",
            EventKind.Switch => $"switch -> tid {e.A0} (pid {e.A1}): {e.Text}",
            EventKind.Console => $"console: {Escape(e.Text ?? "")}",
            EventKind.Deadlock => (e.Text ?? "deadlock").Replace("\n", "\n" + new string(' ', 17)),
            EventKind.Idle => $"idle: all threads sleep, time jumps to tick {e.A0}",
            EventKind.TickLimit => e.Text ?? "tick limit",
            EventKind.Restart => string.Create(CultureInfo.InvariantCulture, $"restarted by its fault policy (restart {e.Code})"),
            // A segment handler's events carry the segment in their text (kernel/Ipc/Shmem).
            EventKind.Delivery when e.Text is not null => string.Create(CultureInfo.InvariantCulture, $"segment handler for type {e.Code} from pid {e.A0}: {e.Text}, {e.A2} bytes at 0x{e.A1:x}: {((e.A3 & ShmemUpcall.CallBit) != 0 ? "reply " : "result ")}{FormatResult(e.Result)}"),
            EventKind.Upcall when e.Text is not null => string.Create(CultureInfo.InvariantCulture, $"segment handler for type {e.Code} from pid {e.A0} starts at 0x{e.A4:x}: {e.Text}, {e.A2} bytes at 0x{e.A1:x}"),
            EventKind.Delivery => string.Create(CultureInfo.InvariantCulture, $"handler for type {e.Code} from pid {e.A0}: {e.A2} pages at 0x{e.A1:x} {SendFlagBits.Describe(e.A3)}: ")
                + (e.Result == 1 ? "accepted" : e.Result == 0 ? "abandoned" : $"not delivered ({FormatResult(e.Result)})"),
            EventKind.Upcall => string.Create(CultureInfo.InvariantCulture, $"handler for type {e.Code} from pid {e.A0} starts at 0x{e.A4:x}: {e.A2} pages at 0x{e.A1:x}"),
            EventKind.RpcEnter => $"rpc enter object {e.A0} method {e.A1} depth {e.A2} from pid {e.A4}: grant {e.A5} SHARED pages, {e.A3} MPU regions",
            EventKind.RpcReturn => $"rpc return object {e.A0} method {e.A1} depth {e.A2} = {FormatResult(e.Result)}, grants revoked",
            EventKind.Notify => string.Create(CultureInfo.InvariantCulture, $"notify object #{e.A0} +{e.A1}: woke {e.Result}, {e.A2} pending"),
            EventKind.Panic => $"KERNEL PANIC: {e.Text}",
            EventKind.Inject => $"INJECT {e.Text}",
            EventKind.Wake => $"woken by object #{e.A0} (index {e.A1}) from {(e.A3 == 0 ? "its owner's exit" : $"pid {e.A2} tid {e.A3}")}: {FormatResult(e.Code)}",
            _ => e.Kind.ToString(),
        };
        return $"{e.Tick,7} {who,-18} {what}";
    }

    private static string Escape(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\"", "\\\"") + "\"";
}
