using System.Reflection;
using MicroKernel.Hardware;
using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The syscall port boundary (docs/architecture.md, "The boundary"): what a C# program links against hands it its
/// port (syscalls, user memory, ABI constants) and nothing of the kernel's host objects.
/// </summary>
public class PortBoundaryTests
{
    // Kernel-assembly types a program may see: ABI numbers, errors and flags, and ISyscallFailure (an interface
    // SyscallException implements so the kernel words a refused call's fault itself; it carries only a number and
    // an error). An allow-list, so a new public member
    // that returns SimThread, Process, Kernel, an address space or anything else of the kernel fails the test.
    private static readonly HashSet<Type> AbiTypes =
    [
        typeof(SyscallNumber), typeof(ErrorCode), typeof(Protection), typeof(MapFlags), typeof(SendFlags), typeof(NotifyFlags), typeof(MicroKernel.Ipc.Shmem.ShmemFlags),
        typeof(ISyscallFailure),
    ];

    private static Assembly Userland => typeof(Sys).Assembly;

    private static Assembly KernelAssembly => typeof(Kernel).Assembly;

    [Fact]
    public void No_public_or_protected_member_of_the_userland_assembly_exposes_a_kernel_host_type()
    {
        List<string> leaks = Leaks(Userland.GetTypes().Where(t => !t.IsNested));
        leaks.ShouldBeEmpty(string.Join("\n", leaks));
    }

    [Fact]
    public void The_program_base_types_and_what_they_hand_out_expose_no_kernel_host_type()
    {
        // The types a program is written against, named one by one in case one ever moves out of the assembly.
        Type[] programTypes = [typeof(UserProgram), typeof(Sys), typeof(UserMemory), typeof(Rpc), typeof(Notification),
            typeof(PageMessage), typeof(RpcHandle<>), typeof(RpcProxy<>), typeof(SyscallException), typeof(StartupBlock)];
        List<string> leaks = Leaks(programTypes);
        leaks.ShouldBeEmpty(string.Join("\n", leaks));
        typeof(UserProgram).BaseType.ShouldBe(typeof(object));
    }

    [Fact]
    public void The_walk_catches_a_kernel_type_in_every_position_it_checks()
    {
        // The check itself can fail: each of these types leaks a host object in one place.
        foreach (Type leaky in typeof(Leaky).GetNestedTypes(BindingFlags.NonPublic))
            Leaks([leaky], includeNonPublicTypes: true).ShouldNotBeEmpty($"{leaky.Name} leaks, but the walk saw nothing");
        Leaks([typeof(Clean)], includeNonPublicTypes: true).ShouldBeEmpty();
    }

    [Fact]
    public void The_loader_is_not_part_of_what_programs_link_against()
    {
        typeof(ManagedProgram).Assembly.ShouldNotBe(Userland);
        typeof(ManagedProgram).Assembly.GetName().Name.ShouldBe("MicroKernel.Userland.Loader");
        Userland.GetTypes().ShouldNotContain(t => typeof(ProgramImage).IsAssignableFrom(t));
        typeof(Sys).GetProperty("Thread", BindingFlags.Public | BindingFlags.Instance).ShouldBeNull();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_program_cannot_read_another_process_private_memory(ProtectionModel model)
    {
        // Pid 1 keeps a secret in its own memory and tells pid 2 only where it is. Pid 2's one way to memory is its
        // own Sys.Memory, which goes through its own MMU/MPU: the load faults and pid 2 dies; the secret stays put.
        var k = TestKernels.Boot(model);
        ulong secretAt = 0, peeked = 0;
        Process owner = k.Spawn("owner", sys =>
        {
            ulong a = sys.Map(4096);
            sys.Memory.WriteUInt64(a, 0x5EC2E7);
            secretAt = a;
            sys.Sleep(50);
            return (long)sys.Memory.ReadUInt64(a) == 0x5EC2E7 ? 0 : 1;
        });
        Process spy = k.Spawn("spy", sys =>
        {
            while (secretAt == 0) sys.Yield();
            peeked = sys.Memory.ReadUInt64(secretAt);
            return 0;
        });
        k.Run();
        owner.ExitStatus.ShouldBe(0);
        peeked.ShouldBe(0UL);
        spy.Faults.ShouldHaveSingleItem().Address.ShouldBe(secretAt);
        spy.Faults[0].Reason.ShouldBeOneOf(FaultReason.NotPresent, FaultReason.NoRegion);
    }

    [Fact]
    public void Arguments_and_the_generation_come_from_the_startup_block_in_user_memory()
    {
        var k = TestKernels.Boot();
        IReadOnlyList<string>? args = null;
        long generation = -1, argc = -1;
        string? argv0 = null;
        var image = new ManagedProgram("echo", () => new Probe(sys =>
        {
            args = sys.Args;
            generation = sys.Generation;
            // The same block, read by hand as a C program would read argv: main's argument is its address.
            ulong block = k.ProcessOf(sys).AddressSpace.Areas.Single(v => v.Name == TestKernels.RuntimeArea).Start;
            argc = (long)sys.Memory.ReadUInt64(block + StartupBlock.ArgcOffset);
            argv0 = ReadCString(sys, sys.Memory.ReadUInt64(block + StartupBlock.ArgvOffset));
            return 0;
        }));
        k.Spawn(image, "echo", out Process? p, arguments: ["a b", "ünï", ""]).ShouldBe(ErrorCode.Ok);
        k.Run();
        p!.ExitStatus.ShouldBe(0);
        args.ShouldBe(["a b", "ünï", ""]);
        generation.ShouldBe(0);
        argc.ShouldBe(4);
        argv0.ShouldBe("echo");
    }

    [Fact]
    public void A_restarted_process_reads_its_generation_from_the_fresh_startup_block()
    {
        var k = TestKernels.Boot();
        var seen = new List<long>();
        Process p = k.Spawn("crashy", sys =>
        {
            seen.Add(sys.Generation);
            if (sys.Generation < 2) sys.Memory.ReadUInt64(0); // a null pointer: the supervisor restarts it
            return 0;
        }, FaultPolicy.Restart);
        k.Run();
        seen.ShouldBe([0, 1, 2]);
        p.Restarts.ShouldBe(2);
        p.ExitStatus.ShouldBe(0);
    }

    [Fact]
    public void Too_many_arguments_fail_the_spawn_and_create_nothing()
    {
        var k = TestKernels.Boot();
        string[] many = [.. Enumerable.Range(0, StartupBlock.MaxArgs).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        k.Spawn(ExampleImages.Image("hello")!, "hello", out Process? p, arguments: many).ShouldBe(ErrorCode.InvalidArgument);
        p.ShouldBeNull();
        k.Processes.ShouldBeEmpty();
        k.ShouldBalance();
    }

    [Fact]
    public void Arguments_too_long_for_the_runtime_area_fail_the_spawn_and_free_its_memory()
    {
        var k = TestKernels.Boot();
        int before = k.Frames.FreeCount;
        k.Spawn(ExampleImages.Image("hello")!, "hello", out Process? p, arguments: [new string('x', 9000)]).ShouldBe(ErrorCode.InvalidArgument);
        p.ShouldBeNull();
        k.Frames.FreeCount.ShouldBe(before);
        k.ShouldBalance();
    }

    private static string ReadCString(Sys sys, ulong address)
    {
        var bytes = new List<byte>();
        for (byte b; (b = sys.Memory.ReadByte(address + (ulong)bytes.Count)) != 0;) bytes.Add(b);
        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }

    // Every kernel-assembly type a visible member of these types reaches, outside the allow-list, as "where: type".
    private static List<string> Leaks(IEnumerable<Type> types, bool includeNonPublicTypes = false)
    {
        var leaks = new List<string>();
        foreach (Type type in types.Where(t => includeNonPublicTypes || IsVisible(t)))
        {
            void Check(string where, Type? t)
            {
                foreach (Type part in Parts(t))
                    if (part.Assembly == KernelAssembly && !AbiTypes.Contains(part))
                        leaks.Add($"{type.FullName} {where}: {part.FullName}");
            }
            Check("base type", type.BaseType);
            foreach (Type i in type.GetInterfaces()) Check("interface", i);
            foreach (Type g in type.GetGenericArguments()) Check("generic argument", g);
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (FieldInfo f in type.GetFields(all).Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
                Check($"field {f.Name}", f.FieldType);
            foreach (PropertyInfo p in type.GetProperties(all))
            {
                if (!new[] { p.GetMethod, p.SetMethod }.Any(m => m is not null && IsVisible(m))) continue;
                Check($"property {p.Name}", p.PropertyType);
                foreach (ParameterInfo ip in p.GetIndexParameters()) Check($"indexer {p.Name}", ip.ParameterType);
            }
            foreach (MethodBase m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)).Where(IsVisible))
            {
                if (m is MethodInfo mi) Check($"method {m.Name} result", mi.ReturnType);
                foreach (ParameterInfo mp in m.GetParameters()) Check($"method {m.Name} parameter {mp.Name}", mp.ParameterType);
                if (m.IsGenericMethodDefinition)
                    foreach (Type g in m.GetGenericArguments()) Check($"method {m.Name} generic argument", g);
            }
            foreach (EventInfo e in type.GetEvents(all).Where(e => e.AddMethod is { } add && IsVisible(add)))
                Check($"event {e.Name}", e.EventHandlerType);
            // Nested types a caller can name are walked like any other (their leaks are the outer type's leaks too).
            foreach (Type nested in type.GetNestedTypes(all).Where(n => n.IsNestedPublic || n.IsNestedFamily || n.IsNestedFamORAssem))
                leaks.AddRange(Leaks([nested], includeNonPublicTypes: true).Select(l => $"{type.FullName} nested: {l}"));
        }
        return leaks;
    }

    private static bool IsVisible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    // Public, or public/protected nested in a visible type: what code outside the assembly can name.
    private static bool IsVisible(Type t) =>
        t.IsPublic || (t.IsNested && (t.IsNestedPublic || t.IsNestedFamily || t.IsNestedFamORAssem) && IsVisible(t.DeclaringType!));

    // A type and the types it is built from: elements, generic arguments, constraints of generic parameters.
    private static IEnumerable<Type> Parts(Type? t, int depth = 0)
    {
        if (t is null || depth > 8) yield break;
        // An array, pointer or by-ref type (T[], T*, ref T) is judged by its element.
        if (t.HasElementType)
        {
            foreach (Type p in Parts(t.GetElementType(), depth + 1)) yield return p;
            yield break;
        }
        yield return t;
        if (t.IsGenericType)
            foreach (Type a in t.GetGenericArguments())
                foreach (Type p in Parts(a, depth + 1)) yield return p;
        if (t.IsGenericParameter)
            foreach (Type c in t.GetGenericParameterConstraints())
                foreach (Type p in Parts(c, depth + 1)) yield return p;
    }

    private sealed class Probe(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }

#pragma warning disable CS0067, CS0649, CA1051 // the leaky shapes exist only to be found by reflection
    private static class Leaky
    {
        private sealed class Field { public SimThread? Thread; }
        private sealed class Property { public Process? Owner => null; }
        private sealed class Result { public Kernel? Find() => null; }
        private sealed class Parameter { public void Use(AddressSpace space) => _ = space; }
        private sealed class Generic { public IReadOnlyList<PhysicalMemory> Rams => []; }
        private sealed class ArrayProperty { public Machine[] Machines => []; }
        private sealed class DelegateField { public Func<MicroKernel.Scheduling.Scheduler, int>? Pick; }
        private sealed class Event { public event Action<FrameAllocator>? Changed; }
        private abstract class Base : ProgramImage;
        private sealed class Interface : IComparable<SimThread> { public int CompareTo(SimThread? other) => 0; }
        private sealed class Nested { public sealed class Inner { public SimThread? T; } }
        private sealed class Static { public static Kernel? Running; }
        private sealed class Constructor { public Constructor(Process p) => _ = p; }
        private sealed class Constraint { public void Take<T>() where T : ProgramImage { } }
        private sealed class ByRef { public void Get(out SimThread? t) => t = null; }
        private class Protected { protected SimThread? Held; }
    }

    private sealed class Clean
    {
        public SyscallNumber Number;
        public ErrorCode Error() => ErrorCode.Ok;
        public void Map(Protection p, SendFlags s, NotifyFlags n) => _ = (p, s, n);
        private SimThread? _allowedPrivately;
        public override string ToString() => _allowedPrivately?.ToString() ?? "";
    }
#pragma warning restore CS0067, CS0649, CA1051
}
