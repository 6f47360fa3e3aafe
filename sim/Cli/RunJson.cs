using System.Text;
using System.Text.Json;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// <c>run --json</c>: the run as one JSON document instead of the account (docs/cli.md, "run --json"): its outcome
/// and exit code, each process's status, faults and console, the kernel's counters, the invariants and the
/// expectations. Keys in a fixed order and no host time, so one scenario and seed give the same bytes.
/// </summary>
internal static class RunJson
{
    /// <summary>Writes the document for an ended run.</summary>
    public static void Write(TextWriter output, Scenario s, Kernel kernel, RunResult result, ExpectationChecker consoles,
        IReadOnlyList<ExpectationResult> checks, int exitCode)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            KernelConfig c = kernel.Config;
            w.WriteStartObject();
            w.WriteString("scenario", s.Name);
            w.WriteString("source", s.Source);
            w.WriteNumber("seed", c.Seed);
            w.WriteString("scheduler", c.Policy.ToString());
            w.WriteString("protection", c.Protection.ToString());
            w.WriteString("outcome", result.Outcome.ToString());
            w.WriteNumber("exitCode", exitCode);
            w.WriteNumber("ticks", result.Ticks);
            w.WriteNumber("switches", result.Switches);
            w.WriteBoolean("deterministic", result.Deterministic);
            w.WriteStartArray("processes");
            foreach (Process p in result.Processes)
            {
                w.WriteStartObject();
                w.WriteNumber("pid", p.Pid);
                w.WriteString("name", p.Name);
                w.WriteString("program", p.Image.Name);
                w.WriteString("state", p.State.ToString());
                w.WriteNumber("exitStatus", p.ExitStatus);
                w.WriteNumber("restarts", p.Restarts);
                w.WriteStartArray("faults");
                foreach (FaultRecord f in p.Faults)
                {
                    w.WriteStartObject();
                    w.WriteString("reason", f.Reason.ToString());
                    w.WriteString("address", string.Create(CultureInfo.InvariantCulture, $"0x{f.Address:x}"));
                    w.WriteString("access", f.Access.ToString());
                    w.WriteNumber("tid", f.Tid);
                    w.WriteNumber("tick", f.Tick);
                    w.WriteString("detail", f.Detail);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("console", consoles.ConsoleOf(p.Pid));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("counters");
            w.WriteNumber("framesFree", kernel.Frames.FreeCount);
            w.WriteNumber("framesKernel", kernel.Frames.KernelCount);
            w.WriteNumber("framesUser", kernel.Frames.UserCount);
            w.WriteNumber("framesTotal", kernel.Frames.TotalCount);
            if (c.Protection == ProtectionModel.Paging)
            {
                w.WriteNumber("tlbHits", kernel.Machine.Mmu.Tlb.Hits);
                w.WriteNumber("tlbMisses", kernel.Machine.Mmu.Tlb.Misses);
                w.WriteNumber("tlbFlushes", kernel.Machine.Mmu.Tlb.Flushes);
            }
            w.WriteNumber("rpcCalls", kernel.RpcStats.Calls);
            w.WriteNumber("rpcRefused", kernel.RpcStats.Refused);
            w.WriteNumber("rpcCalleeFaults", kernel.RpcStats.CalleeFaults);
            w.WriteNumber("notifies", kernel.NotifyStats.Notifies);
            w.WriteNumber("waits", kernel.NotifyStats.Waits);
            w.WriteNumber("lockRecoveries", kernel.NotifyStats.LockRecoveries);
            w.WriteEndObject();
            w.WriteStartArray("invariantsBroken");
            foreach (string problem in kernel.CheckInvariants()) w.WriteStringValue(problem);
            w.WriteEndArray();
            if (result.DeadlockReport is { } d) w.WriteString("deadlock", d);
            if (result.Panic is { } panic) w.WriteString("panic", panic.ToString());
            w.WriteStartArray("expectations");
            foreach (ExpectationResult r in checks)
            {
                w.WriteStartObject();
                w.WriteNumber("line", r.Expectation.Line);
                w.WriteString("expect", r.Expectation.ToString());
                w.WriteBoolean("met", r.Met);
                w.WriteString("seen", r.Seen);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
