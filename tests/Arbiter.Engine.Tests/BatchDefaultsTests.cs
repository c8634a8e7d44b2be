using System.Text.Json;
using Arbiter.Engine.Decisions;

namespace Arbiter.Engine.Tests;

/// <summary>
/// <see cref="BatchDefaults"/>: a batch's top-level members are read once and shared by the items that do not name
/// their own; an item's own member replaces the batch's, and a batch member that is wrong is each taker's problem.
/// </summary>
public sealed class BatchDefaultsTests
{
    private static List<(DecisionRequest? Request, Arbiter.Engine.Policies.Problem? Problem)> ReadAll(string body)
    {
        // Not disposed: the requests read keep elements of it (context, properties).
        var doc = JsonDocument.Parse(body);
        var defaults = new BatchDefaults(doc.RootElement);
        var read = new List<(DecisionRequest?, Arbiter.Engine.Policies.Problem?)>();
        foreach (var item in doc.RootElement.GetProperty("evaluations").EnumerateArray())
            read.Add((RequestReader.ReadInBatch(item, defaults, out var problem), problem));
        return read;
    }

    [Fact]
    public void ReadInBatch_ItemsWithoutTheirOwn_ShareTheBatchsEntitiesAndAgent()
    {
        var read = ReadAll("""
            {"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call","properties":{"mode":"x"}},
             "context":{"agent":{"type":"agent","id":"a1"}},
             "evaluations":[{"resource":{"type":"tool","id":"t1"}},{"resource":{"type":"tool","id":"t2"}}]}
            """);

        Assert.All(read, r => Assert.Null(r.Problem));
        var (first, second) = (read[0].Request!, read[1].Request!);
        Assert.Same(first.Subject, second.Subject);
        Assert.Equal("alice", first.Subject.Id);
        Assert.Equal(("a1", "a1"), (first.AgentId, second.AgentId));
        Assert.Equal("x", second.ActionProperties.GetProperty("mode").GetString());
        Assert.Equal(("t1", "t2"), (first.Resource.Id, second.Resource.Id));
    }

    [Fact]
    public void ReadInBatch_ItemNamesItsOwn_ReplacesTheBatchsMemberForThatItemOnly()
    {
        var read = ReadAll("""
            {"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t1"},
             "evaluations":[{"subject":{"type":"user","id":"bob"},"context":{"agent":{"id":"a2"}}},{}]}
            """);

        Assert.Equal("bob", read[0].Request!.Subject.Id);
        Assert.Equal("a2", read[0].Request!.AgentId);
        Assert.Equal("alice", read[1].Request!.Subject.Id);
        Assert.Null(read[1].Request!.AgentId);
    }

    [Fact]
    public void ReadInBatch_BatchMemberWrong_EachItemTakingItHasTheProblemAndAnItemWithItsOwnDoesNot()
    {
        var read = ReadAll("""
            {"subject":{"type":"user"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t1"},
             "evaluations":[{},{"subject":{"type":"user","id":"bob"}},{"resource":{"type":"tool","id":"t2"}}]}
            """);

        Assert.Equal("/subject/id", read[0].Problem!.Path);
        Assert.Null(read[1].Problem);
        Assert.Equal("/subject/id", read[2].Problem!.Path);
    }

    [Fact]
    public void ReadInBatch_ProblemsInSeveralMembers_TheFirstInRequestOrderWins()
    {
        var read = ReadAll("""
            {"action":{"name":""},"context":5,
             "evaluations":[{"resource":{"type":"tool"}},{"subject":{"type":"user","id":"u"},"resource":{"type":"tool","id":"t"}}]}
            """);

        Assert.Equal("/subject", read[0].Problem!.Path);
        Assert.Equal("/action/name", read[1].Problem!.Path);
    }
}
