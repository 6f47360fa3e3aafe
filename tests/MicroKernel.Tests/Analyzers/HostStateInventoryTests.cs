using System.Reflection;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Analyzers;

/// <summary>
/// The MK0001 escape hatch stays small and deliberate: the userland assembly's [HostState] statics are exactly the
/// ones docs/architecture.md lists, each with a reason. A new one fails here until it is added to the list and the doc.
/// </summary>
public class HostStateInventoryTests
{
    [Fact]
    public void The_userland_exempts_exactly_the_documented_host_plumbing_each_with_a_reason()
    {
        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var exempt = typeof(UserProgram).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(statics).Cast<MemberInfo>().Concat(t.GetProperties(statics)))
            .Select(m => (Member: m, Attribute: m.GetCustomAttribute<HostStateAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();
        exempt.Select(x => $"{x.Member.DeclaringType!.Name}.{x.Member.Name}").Order(StringComparer.Ordinal)
            .ShouldBe(["RpcInterface.Cache", "RpcProxy`1.t_standIn", "Sys.t_current"]);
        exempt.ShouldAllBe(x => x.Attribute!.Reason.Trim().Length >= 20);
    }

    [Fact]
    public void The_userland_assembly_names_its_whole_namespace_as_program_code() =>
        typeof(UserProgram).Assembly.GetCustomAttributes<ProgramNamespaceAttribute>().Select(a => a.Namespace)
            .ShouldBe(["MicroKernel.Userland"]);
}
