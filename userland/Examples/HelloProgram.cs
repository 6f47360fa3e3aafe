using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>Says hello, maps two pages, fills them with a pattern through the MMU and checks the sum.</summary>
public sealed class HelloProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        sys.PrintLine($"hello from pid {sys.Pid}, tid {sys.Tid}");
        const int words = 1024; // two pages of 8-byte words
        ulong buffer = sys.Map(words * 8);
        for (ulong i = 0; i < words; i++) sys.Memory.WriteUInt64(buffer + i * 8, i * i);
        ulong sum = 0;
        for (ulong i = 0; i < words; i++) sum += sys.Memory.ReadUInt64(buffer + i * 8);
        sys.PrintLine($"sum of squares below {words} = {sum}");
        sys.Unmap(buffer, words * 8);
        return sum == 357389824 ? 0 : 1;
    }
}
