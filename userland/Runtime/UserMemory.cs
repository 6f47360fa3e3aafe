using System.Runtime.InteropServices;
using System.Text;
using MicroKernel.Processes;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// Typed loads and stores of user memory for C# programs. Each call is one checked access through the
/// process's MMU or MPU; a refused one is a fault the kernel handles (by default the process dies).
/// </summary>
public readonly struct UserMemory
{
    private readonly SimThread _thread;

    internal UserMemory(SimThread thread) => _thread = thread;

    /// <summary>Loads a 64-bit value.</summary>
    public ulong ReadUInt64(ulong address) => _thread.LoadUInt64(address);

    /// <summary>Stores a 64-bit value.</summary>
    public void WriteUInt64(ulong address, ulong value) => _thread.StoreUInt64(address, value);

    /// <summary>Loads any unmanaged value (little-endian layout).</summary>
    public T Read<T>(ulong address) where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Marshal.SizeOf<T>()];
        _thread.Load(address, bytes);
        return MemoryMarshal.Read<T>(bytes);
    }

    /// <summary>Stores any unmanaged value.</summary>
    public void Write<T>(ulong address, T value) where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in value);
        _thread.Store(address, bytes);
    }

    /// <summary>Loads one byte.</summary>
    public byte ReadByte(ulong address) => Read<byte>(address);

    /// <summary>Stores one byte.</summary>
    public void WriteByte(ulong address, byte value) => Write(address, value);

    /// <summary>Loads <paramref name="length"/> bytes.</summary>
    public byte[] ReadBytes(ulong address, int length)
    {
        var bytes = new byte[length];
        _thread.Load(address, bytes);
        return bytes;
    }

    /// <summary>Loads into <paramref name="destination"/>.</summary>
    public void Read(ulong address, Span<byte> destination) => _thread.Load(address, destination);

    /// <summary>Stores <paramref name="bytes"/>.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> bytes) => _thread.Store(address, bytes);

    /// <summary>Stores a string as UTF-8 and returns its byte length.</summary>
    public int WriteString(ulong address, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        _thread.Store(address, bytes);
        return bytes.Length;
    }

    /// <summary>Loads <paramref name="length"/> bytes of UTF-8 text.</summary>
    public string ReadString(ulong address, int length) => Encoding.UTF8.GetString(ReadBytes(address, length));
}
