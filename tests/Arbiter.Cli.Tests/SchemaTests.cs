using System.Text.Json;
using Arbiter.Cli.Tests.Infrastructure;
using Json.Schema;

namespace Arbiter.Cli.Tests;

/// <summary>The shipped JSON Schemas (schemas/) accept the shipped samples and refuse what the engine refuses.</summary>
public sealed class SchemaTests
{
    private static JsonSchema Load(string name)
    {
        // Every schema in one registry, so the relative $refs between them (tenant → policy, user...) resolve.
        var registry = new SchemaRegistry();
        JsonSchema? wanted = null;
        foreach (var file in Directory.GetFiles(RepoFiles.Path("schemas"), "*.schema.json"))
        {
            var schema = JsonSchema.FromText(File.ReadAllText(file), new BuildOptions { SchemaRegistry = registry });
            if (Path.GetFileName(file) == name)
                wanted = schema;
        }
        return wanted ?? throw new InvalidOperationException($"no schema {name}");
    }

    private static EvaluationResults Evaluate(string schema, string json)
    {
        using var document = JsonDocument.Parse(json);
        return Load(schema).Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Value}")));

    [Theory]
    [InlineData("tenant.schema.json", "infra/seed/demo-tenant.json")]
    [InlineData("policy-test.schema.json", "infra/seed/demo-tenant.test.json")]
    public void Schema_ShippedSample_IsValid(string schema, string sample)
    {
        var results = Evaluate(schema, File.ReadAllText(RepoFiles.Path(sample)));

        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void TenantSchema_PolicyWithUnknownMember_IsInvalidAtItsPointer()
    {
        var results = Evaluate("tenant.schema.json", """
            {"format":"arbiter-tenant/1","policies":[{"id":"p","effect":"permit","agents":{"any":true},"actions":["tools/list"],"effekt":"x"}]}
            """);

        Assert.False(results.IsValid);
        Assert.Contains("/policies/0", Errors(results), StringComparison.Ordinal);
    }

    [Fact]
    public void TenantSchema_WrongSection_IsInvalid()
    {
        Assert.False(Evaluate("tenant.schema.json", """{"format":"arbiter-tenant/1","agent":[]}""").IsValid);
    }

    [Fact]
    public void PolicySchema_SchemaMember_IsValid()
    {
        var results = Evaluate("policy.schema.json", """
            {"$schema":"https://arbiter.example/schemas/policy.schema.json","id":"p","effect":"permit","agents":{"any":true},"actions":["tools/list"]}
            """);

        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void PolicyTestSchema_CaseWithoutDecision_IsInvalid()
    {
        Assert.False(Evaluate("policy-test.schema.json", """
            {"format":"arbiter-policy-test/1","cases":[{"request":{"subject":{"type":"user","id":"a"},"action":{"name":"x"},"resource":{"type":"t","id":"r"}},"expect":{}}]}
            """).IsValid);
    }
}
