using System.Globalization;
using MicroKernel.Userland.Runtime;

// Every type in this namespace runs inside simulated processes: the analyzer refuses writable static fields here
// (MK0001), so two processes of one program share nothing but what they pass by IPC.
[assembly: ProgramNamespace("MkProgram")]

namespace MkProgram;

/// <summary>Counts to its first argument (default 3) in a page of its own memory, printing each step.</summary>
public sealed class Counter : UserProgram
{
    // One Counter object per process: this field is this process's, like a global variable of a C program.
    private long _steps;

    public override long Main(Sys sys)
    {
        long limit = sys.Args.Count > 0 && long.TryParse(sys.Args[0], CultureInfo.InvariantCulture, out long n) ? n : 3;
        ulong page = sys.Map(4096); // simulated memory: every load and store goes through the MMU or MPU
        for (long i = 0; i < limit; i++)
        {
            sys.Memory.WriteUInt64(page, sys.Memory.ReadUInt64(page) + 1);
            _steps++;
            sys.PrintLine($"counter {sys.Pid}: {sys.Memory.ReadUInt64(page)}");
            sys.Yield(); // let the other process run: the two counts interleave, and stay apart
        }
        return _steps == limit ? 0 : 1;
    }
}
