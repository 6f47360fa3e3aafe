namespace MicroKernel.Userland.Examples.Fuzz;

/// <summary>The service every fuzz process exports, so that rpc_call reaches real methods with real argument counts.</summary>
public interface IFuzzService
{
    /// <summary>Returns 0.</summary>
    long Zero();

    /// <summary>Returns its argument without the sign bit (a service result that is never an error).</summary>
    long Echo(long a);

    /// <summary>Issues count mod 4 random syscalls acting for the callee (nested calls, exits inside a call); returns count without the sign bit.</summary>
    long Fuzz(long count);

    /// <summary>Returns the sum of its four arguments without the sign bit.</summary>
    long Sum(long a, long b, long c, long d);
}
