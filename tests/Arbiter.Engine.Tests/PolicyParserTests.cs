using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Tests;

public sealed class PolicyParserTests
{
    private static PolicyParseResult Parse(string json) => PolicyParser.Parse(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Parse_ValidGrant_ReturnsPolicy()
    {
        var result = Parse("""{"id":"p1","effect":"permit","actions":["tools/call"],"agents":{"ids":["a1"]},"resources":{"servers":["s1"],"maxSensitivity":"internal"},"modes":["principal","agentOnly"],"notAfter":"2027-01-01T00:00:00Z"}""");
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Equal(Modes.Both, result.Policy!.Modes);
        Assert.Equal(Sensitivity.Internal, result.Policy.Resources!.MaxSensitivity);
        Assert.False(result.Policy.IsUserPolicy);
    }

    [Fact]
    public void Parse_DocumentWithManyMistakes_ListsEveryProblemWithItsPath()
    {
        var result = Parse("""
            {"id":"", "effect":"allow", "actions":[], "subjects":{"groups":[1]}, "resources":{"maxSensitivity":"secret","colour":"red"},
             "condition":"subject.department ==", "notBefore":"2027-01-01T00:00:00Z", "notAfter":"2026-01-01T00:00:00Z",
             "obligations":[{"id":"o1","type":"rowFilter","properties":{}}], "extra": true}
            """);
        Assert.Null(result.Policy);
        var paths = result.Problems.Select(p => p.Path).ToHashSet();
        foreach (var expected in new[] { "/id", "/effect", "/actions", "/subjects/groups/0", "/resources/maxSensitivity", "/resources/colour", "/condition", "/notAfter", "/obligations/0/properties/filter", "/extra" })
            Assert.Contains(expected, paths);
    }

    [Theory]
    [InlineData("""{"id":"p","effect":"permit","actions":["tools/call"]}""", "", "needs 'subjects'")]
    [InlineData("""{"id":"p","effect":"permit","actions":["agent.invoke"],"agents":{"ids":["a"]}}""", "/subjects", "'subjects' is required")]
    [InlineData("""{"id":"p","effect":"permit","actions":["tools/call"],"subjects":{"groups":["g"]},"modes":["agentOnly"]}""", "/modes", "cannot apply in 'agentOnly'")]
    [InlineData("""{"id":"p","effect":"forbid","actions":["tools/call"],"agents":{"any":true},"obligations":[{"id":"x","type":"redact","properties":{"fields":["a"]}}]}""", "/obligations", "obligations belong to permits")]
    [InlineData("""{"id":"p","effect":"permit","actions":["tools/call"],"agents":{}}""", "/agents", "select agents")]
    [InlineData("""[1,2]""", "", "must be a JSON object")]
    public void Parse_InvalidDocument_NamesTheProblem(string json, string path, string message)
    {
        var result = Parse(json);
        Assert.Null(result.Policy);
        Assert.Contains(result.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void SchemaFile_DescribesTheSameTopLevelMembersAsTheParser()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "schemas", "policy.schema.json")));
        var members = schema.RootElement.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["$schema", "actions", "agents", "condition", "description", "effect", "id", "metadata", "modes", "notAfter", "notBefore", "obligations", "resources", "status", "subjects"], members);
    }
}
