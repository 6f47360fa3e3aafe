using System.Reflection;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// Guards the rule "an invariant that is never seen to fire is not known to work": every invariant of the catalogue
/// must have at least one test tagged <c>[Trait("Invariant", name)]</c> that breaks it, and every tag must name a
/// real invariant. Adding an invariant without such a test fails here.
/// </summary>
public class InvariantCoverageTests
{
    // (invariant name, test method) of every test in this assembly tagged with the Invariant trait.
    private static IEnumerable<(string Invariant, MethodInfo Test)> TaggedTests() =>
        from type in typeof(InvariantCoverageTests).Assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        from trait in method.GetCustomAttributesData()
        where trait.AttributeType == typeof(TraitAttribute)
            && (string)trait.ConstructorArguments[0].Value! == InvariantCatalogueTests.Breaks
        select ((string)trait.ConstructorArguments[1].Value!, method);

    [Fact]
    public void Every_invariant_of_the_catalogue_has_a_test_that_breaks_it()
    {
        string[] catalogue = [.. TestKernels.Boot().Invariants.Select(i => i.Name)];
        string[] tested = [.. TaggedTests().Select(t => t.Invariant).Distinct().Order(StringComparer.Ordinal)];
        catalogue.Except(tested).ShouldBeEmpty("these invariants have no test tagged [Trait(\"Invariant\", name)] that breaks them");
        tested.Except(catalogue).ShouldBeEmpty("these tags name no invariant of the catalogue");
    }

    [Fact]
    public void Every_tagged_test_is_a_fact_that_runs()
    {
        var tagged = TaggedTests().ToList();
        tagged.Count.ShouldBeGreaterThanOrEqualTo(TestKernels.Boot().Invariants.Count);
        tagged.ShouldAllBe(t => t.Test.GetCustomAttribute<FactAttribute>() != null && t.Test.GetCustomAttribute<FactAttribute>()!.Skip == null);
    }
}
