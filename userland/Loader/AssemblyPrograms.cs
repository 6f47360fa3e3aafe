using System.Reflection;
using System.Runtime.CompilerServices;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Loader;

/// <summary>
/// Programs from a student's own assembly (<c>process p program=MyLib.dll:Counter</c>, docs/scenario-format.md): the
/// assembly is loaded once, and each process gets a fresh instance of the program class, as the example programs do.
/// Two processes of one program share nothing but what they pass by IPC: the loader refuses an assembly whose code
/// holds a writable static field (MK0001 at load time: the analyzer checks at compile time only the code built with it).
/// </summary>
public static class AssemblyPrograms
{
    /// <summary>True when a scenario's program names an assembly program (<c>FILE.dll:TYPE</c>).</summary>
    public static bool IsAssemblyProgram(string program) => Split(program) is not null;

    /// <summary>Splits <c>FILE.dll:TYPE</c> into its path and type name, or null when it is not of that form.</summary>
    public static (string Path, string Type)? Split(string program)
    {
        int colon = program.LastIndexOf(':');
        if (colon <= 0 || colon == program.Length - 1) return null;
        string path = program[..colon];
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (path, program[(colon + 1)..]) : null;
    }

    /// <summary>
    /// The program image for type <paramref name="typeName"/> (its full name, or its simple name when that is unique)
    /// of the assembly at <paramref name="assemblyPath"/>. Throws <see cref="ProgramLoadException"/> with a message for
    /// the student when the file, the type or its code cannot be used.
    /// </summary>
    public static ManagedProgram Load(string assemblyPath, string typeName)
    {
        Assembly assembly = LoadAssembly(assemblyPath);
        Type type = FindType(assembly, typeName, assemblyPath);
        string? shared = WritableStatic(assembly);
        if (shared is not null)
            throw new ProgramLoadException($"{Path.GetFileName(assemblyPath)}: {shared} is a writable static field: two processes of one program " +
                "would share it (MK0001; keep state in fields of the program object or in simulated memory)");
        ConstructorInfo ctor = type.GetConstructor(Type.EmptyTypes)
            ?? throw new ProgramLoadException($"{type.FullName} has no public constructor without parameters");
        return new ManagedProgram(type.Name, () => (UserProgram)ctor.Invoke(null));
    }

    /// <summary>The program classes of the assembly at <paramref name="assemblyPath"/> (full names, ordinal order).</summary>
    public static IReadOnlyList<string> ProgramTypes(string assemblyPath) =>
        [.. Programs(LoadAssembly(assemblyPath)).Select(t => t.FullName!).Order(StringComparer.Ordinal)];

    private static Assembly LoadAssembly(string assemblyPath)
    {
        string full = Path.GetFullPath(assemblyPath);
        if (!File.Exists(full)) throw new ProgramLoadException($"no such assembly '{assemblyPath}'");
        // Loaded once per host: a second process (or scenario) of the same file reuses it; its code has no writable
        // static state, so nothing of one run leaks into the next.
        foreach (Assembly loaded in AppDomain.CurrentDomain.GetAssemblies())
            if (!loaded.IsDynamic && string.Equals(loaded.Location, full, StringComparison.Ordinal)) return loaded;
        try
        {
            return System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            throw new ProgramLoadException($"{assemblyPath}: not a .NET assembly this host can load ({e.Message})");
        }
    }

    private static Type FindType(Assembly assembly, string typeName, string assemblyPath)
    {
        Type[] programs = Programs(assembly);
        Type[] matches = [.. programs.Where(t => t.FullName == typeName)];
        if (matches.Length == 0) matches = [.. programs.Where(t => t.Name == typeName)];
        string known = programs.Length == 0 ? "none" : string.Join(", ", programs.Select(t => t.FullName).Order(StringComparer.Ordinal));
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw new ProgramLoadException($"{Path.GetFileName(assemblyPath)} has no program class '{typeName}' (a public class deriving from UserProgram; known: {known})"),
            _ => throw new ProgramLoadException($"'{typeName}' names several program classes of {Path.GetFileName(assemblyPath)}: give the full name ({known})"),
        };
    }

    private static Type[] Programs(Assembly assembly)
    {
        try
        {
            return [.. assembly.GetExportedTypes().Where(t => t.IsClass && !t.IsAbstract && typeof(UserProgram).IsAssignableFrom(t))];
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw new ProgramLoadException($"{assembly.GetName().Name}: its types cannot be loaded ({e.Message}); is it built against this MicroKernel?");
        }
    }

    // The first static field that is neither readonly nor const, in code the compiler did not generate (a lambda
    // cache is the compiler's, written once with the same value), as "Type.field"; null when there is none.
    private static string? WritableStatic(Assembly assembly)
    {
        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (Type t in assembly.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (t.IsDefined(typeof(CompilerGeneratedAttribute), false)) continue;
            foreach (FieldInfo f in t.GetFields(statics).OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (f.IsInitOnly || f.IsLiteral) continue;
                string name = f.Name;
                // An auto-property's backing field carries the property's name.
                if (name.StartsWith('<') && name.EndsWith(">k__BackingField", StringComparison.Ordinal)) name = name[1..name.IndexOf('>')];
                else if (f.IsDefined(typeof(CompilerGeneratedAttribute), false)) continue;
                return $"{t.FullName}.{name}";
            }
        }
        return null;
    }
}
