using CsCheck;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>
/// The fast, segment-walking <c>Check</c> of both models must agree with a naive reference that decides byte by
/// byte from the region list, written here independently of the kernel code.
/// </summary>
public class MpuCheckPropertyTests
{
    // Regions and queries live in a 16 KiB window so that they overlap and touch often. The windows at 0 and at the
    // top of the 32-bit space also exercise ranges that wrap below 0 (past 2^64) or run past 2^32.
    private const ulong Window = 0x4000;
    private static readonly ulong[] WindowBases = [0, 0x2000_0000, 0xFFFF_C000];

    public sealed record V7Region(int Number, int SizeLog2, int Slot, byte Srd, MpuAccess Access, bool Xn, bool Disable);

    public sealed record V8Region(int Number, int StartGranule, int Granules, MpuAccess Access, bool Xn, bool Disable);

    public sealed record Query(long Offset, int Length, AccessKind Kind, bool Privileged);

    private static readonly Gen<Query> GenQuery = Gen.Select(
        Gen.Long[-300, (long)Window + 300], Gen.Int[0, 1100], Gen.Enum<AccessKind>(), Gen.Bool,
        (offset, length, kind, privileged) => new Query(offset, length, kind, privileged));

    private static readonly Gen<V7Region> GenV7Region = Gen.Select(
        Gen.Int[0, 15], Gen.Int[5, 14], Gen.Int[0, 511], Gen.Byte, Gen.Enum<MpuAccess>(), Gen.Bool, Gen.Int[0, 9],
        (number, sizeLog2, slot, srd, access, xn, disable) => new V7Region(number, sizeLog2, slot, srd, access, xn, disable == 0));

    private static readonly Gen<V8Region> GenV8Region = Gen.Select(
        Gen.Int[0, 15], Gen.Int[0, (int)(Window / 32) - 1], Gen.Int[1, 64],
        Gen.OneOf(MpuAccess.PrivilegedReadWrite, MpuAccess.ReadWrite, MpuAccess.PrivilegedReadOnly, MpuAccess.ReadOnly),
        Gen.Bool, Gen.Int[0, 9],
        (number, start, granules, access, xn, disable) => new V8Region(number, start, granules, access, xn, disable == 0));

    [Fact]
    public void ArmV7_Check_agrees_with_a_per_byte_reference() =>
        Gen.Select(Gen.Int[0, WindowBases.Length - 1], GenV7Region.Array[0, 12], GenQuery.Array[1, 16])
            .Sample((window, specs, queries) =>
            {
                ulong windowBase = WindowBases[window];
                var mpu = new ArmV7Mpu(16);
                var regions = new (ulong Base, ulong Size, byte Srd, MpuAccess Access, bool Xn, bool Enabled)[16];
                foreach (var s in specs)
                {
                    ulong size = 1UL << s.SizeLog2;
                    ulong baseAddress = windowBase + (ulong)s.Slot % (Window / size) * size;
                    byte srd = size >= 256 ? s.Srd : (byte)0;
                    mpu.ProgramRegion(s.Number, baseAddress, size, srd, s.Access, s.Xn).ShouldBe(MpuError.None);
                    regions[s.Number] = (baseAddress, size, srd, s.Access, s.Xn, true);
                }
                foreach (var s in specs.Where(s => s.Disable))
                {
                    mpu.DisableRegion(s.Number);
                    regions[s.Number].Enabled = false;
                }

                FaultReason? Reference(ulong a, AccessKind kind, bool privileged)
                {
                    for (int n = 15; n >= 0; n--)
                    {
                        var r = regions[n];
                        if (!r.Enabled || a < r.Base || a - r.Base >= r.Size)
                            continue;
                        int subregion = (int)((a - r.Base) / (r.Size / 8));
                        if ((r.Srd >> subregion & 1) != 0)
                            continue;
                        return Permission(r.Access, r.Xn, kind, privileged);
                    }
                    return privileged ? DefaultMap(a, kind) : FaultReason.NoRegion;
                }

                foreach (var q in queries)
                {
                    ulong address = unchecked(windowBase + (ulong)q.Offset);
                    mpu.Check(address, (ulong)q.Length, q.Kind, q.Privileged)
                        .ShouldBe(PerByte(address, (ulong)q.Length, q.Kind, q.Privileged, Reference), $"{q} at 0x{address:x}\n{mpu.Describe()}");
                }
            }, iter: 400);

    [Fact]
    public void ArmV8_Check_agrees_with_a_per_byte_reference() =>
        Gen.Select(Gen.Int[0, WindowBases.Length - 1], GenV8Region.Array[0, 12], GenQuery.Array[1, 16])
            .Sample((window, specs, queries) =>
            {
                ulong windowBase = WindowBases[window];
                var mpu = new ArmV8Mpu(16);
                var regions = new (ulong Base, ulong Limit, MpuAccess Access, bool Xn, bool Enabled)[16];
                foreach (var s in specs)
                {
                    ulong baseAddress = windowBase + (ulong)s.StartGranule * 32;
                    ulong size = (ulong)Math.Min(s.Granules, (int)(Window / 32) - s.StartGranule) * 32;
                    mpu.ProgramRegion(s.Number, baseAddress, size, s.Access, s.Xn).ShouldBe(MpuError.None);
                    regions[s.Number] = (baseAddress, baseAddress + size - 1, s.Access, s.Xn, true);
                }
                foreach (var s in specs.Where(s => s.Disable))
                {
                    mpu.DisableRegion(s.Number);
                    regions[s.Number].Enabled = false;
                }

                FaultReason? Reference(ulong a, AccessKind kind, bool privileged)
                {
                    var matches = regions.Where(r => r.Enabled && r.Base <= a && a <= r.Limit).ToList();
                    return matches.Count switch
                    {
                        0 => privileged ? DefaultMap(a, kind) : FaultReason.NoRegion,
                        1 => Permission(matches[0].Access, matches[0].Xn, kind, privileged),
                        _ => FaultReason.RegionOverlap,
                    };
                }

                foreach (var q in queries)
                {
                    ulong address = unchecked(windowBase + (ulong)q.Offset);
                    mpu.Check(address, (ulong)q.Length, q.Kind, q.Privileged)
                        .ShouldBe(PerByte(address, (ulong)q.Length, q.Kind, q.Privileged, Reference), $"{q} at 0x{address:x}\n{mpu.Describe()}");
                }
            }, iter: 400);

    /// <summary>The naive range check: every byte in order, the first refused one faults.</summary>
    private static MemoryFault? PerByte(ulong address, ulong length, AccessKind kind, bool privileged,
        Func<ulong, AccessKind, bool, FaultReason?> decide)
    {
        for (ulong i = 0; i < length; i++)
        {
            ulong a = unchecked(address + i);
            // A 32-bit machine has no byte at 2^32 or above.
            var reason = a >= 1UL << 32 ? FaultReason.NoRegion : decide(a, kind, privileged);
            if (reason is { } r)
                return new MemoryFault(a, kind, r);
        }
        return null;
    }

    /// <summary>The permission rule, from the AP tables: who may read, who may write; XN stops fetches.</summary>
    // The background region of privileged code (PRIVDEFENA = 1): ARMv7-M ARM table B3-1, fetches fault in the
    // Peripheral area and from the Device area up (Device, PPB, vendor system).
    private static FaultReason? DefaultMap(ulong a, AccessKind kind) =>
        kind == AccessKind.Execute && ((a >= 0x4000_0000 && a < 0x6000_0000) || a >= 0xA000_0000) ? FaultReason.NoExecute : null;

    private static FaultReason? Permission(MpuAccess access, bool xn, AccessKind kind, bool privileged)
    {
        (bool privRead, bool privWrite, bool userRead, bool userWrite) = access switch
        {
            MpuAccess.None => (false, false, false, false),
            MpuAccess.PrivilegedReadWrite => (true, true, false, false),
            MpuAccess.PrivilegedReadWriteUserReadOnly => (true, true, true, false),
            MpuAccess.ReadWrite => (true, true, true, true),
            MpuAccess.PrivilegedReadOnly => (true, false, false, false),
            MpuAccess.ReadOnly => (true, false, true, false),
            _ => throw new ArgumentOutOfRangeException(nameof(access)),
        };
        bool read = privileged ? privRead : userRead;
        bool write = privileged ? privWrite : userWrite;
        if (!read)
            return privRead ? FaultReason.Supervisor : FaultReason.AccessDenied;
        if (kind == AccessKind.Write && !write)
            return FaultReason.ReadOnly;
        if (kind == AccessKind.Execute && xn)
            return FaultReason.NoExecute;
        return null;
    }
}
