using System.Reflection;

namespace TraceReplay.Tests.Fixtures;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class TestCategoryTests
{
    [Fact]
    public void EveryTestClassNamesExactlyOneKnownCategory()
    {
        string[] known = [TestCategory.Unit, TestCategory.Cluster, TestCategory.Postgres, TestCategory.Browser];
        var testClasses = typeof(TestCategoryTests).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>().Any()));

        var wrong = testClasses
            .Where(t => t.GetCustomAttributes<TraitAttribute>().Count() != 1
                || !t.GetCustomAttributesData().Any(a => a.AttributeType == typeof(TraitAttribute)
                    && (string?)a.ConstructorArguments[0].Value == TestCategory.Name
                    && known.Contains((string?)a.ConstructorArguments[1].Value)))
            .Select(t => t.FullName)
            .ToList();

        Assert.True(wrong.Count == 0, $"Test classes without exactly one Category trait: {string.Join(", ", wrong)}");
    }
}
