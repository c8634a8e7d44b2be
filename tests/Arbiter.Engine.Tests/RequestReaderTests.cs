using System.Text.Json;
using Arbiter.Engine.Decisions;

namespace Arbiter.Engine.Tests;

/// <summary><see cref="RequestReader"/>: the acting agent's type, and well-known names read as the shared strings.</summary>
public sealed class RequestReaderTests
{
    private static DecisionRequest? Read(string agent, out Arbiter.Engine.Policies.Problem? problem)
    {
        using var doc = JsonDocument.Parse(
            """{"subject":{"type":"user","id":"u1"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t1"},"context":{"agent":"""
            + agent + "}}");
        return RequestReader.Read(doc.RootElement, default, out problem);
    }

    [Theory]
    [InlineData("""{"id":"a1"}""")]
    [InlineData("""{"type":"agent","id":"a1"}""")]
    [InlineData("""{"type":"\u0061gent","id":"a1"}""")]
    [InlineData("""{"type":null,"id":"a1"}""")]
    public void Read_AgentTypeAbsentOrAgent_ActingAgentRead(string agent)
    {
        var request = Read(agent, out var problem);

        Assert.Null(problem);
        Assert.Equal("a1", request!.AgentId);
    }

    [Theory]
    [InlineData("""{"type":"user","id":"a1"}""")]
    [InlineData("""{"type":5,"id":"a1"}""")]
    [InlineData("""{"type":["agent"],"id":"a1"}""")]
    public void Read_AgentTypeOtherOrNotAString_ProblemNamesTheField(string agent)
    {
        Assert.Null(Read(agent, out var problem));
        Assert.Equal("/context/agent/type", problem!.Path);
    }

    [Fact]
    public void Read_WellKnownTypeAndAction_TheSharedStrings()
    {
        var request = Read("""{"id":"a1"}""", out _)!;

        Assert.Same(SubjectTypes.User, request.Subject.Type);
        Assert.Same(ResourceTypes.Tool, request.Resource.Type);
        Assert.Same(Arbiter.Engine.Policies.WellKnownActions.ToolsCall, request.Action);
    }
}
