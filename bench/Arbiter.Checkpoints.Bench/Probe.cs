using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Scenario;

namespace Arbiter.Checkpoints.Bench;

/// <summary>The decision that ends a cold start: the scenario's first request and its reference answer, passed as one argument.</summary>
internal sealed record Probe(DecisionRequest Request, bool Expected)
{
    public static Probe From(ScenarioRequest r) => new(r.Request, r.Expected);

    public string Encode() => string.Join('|', Request.Subject.Type, Request.Subject.Id, Request.Action, Request.Resource.Type, Request.Resource.Id, Request.AgentId ?? "", Expected ? "1" : "0");

    public static Probe Decode(string text)
    {
        var p = text.Split('|');
        return new Probe(new DecisionRequest(new Entity(p[0], p[1]), p[2], new Entity(p[3], p[4]), p[5].Length == 0 ? null : p[5]), p[6] == "1");
    }

    /// <summary>The AuthZEN evaluation body (principal context carries the agent in <c>context.agent</c>).</summary>
    public byte[] EvaluationBody()
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("subject");
            json.WriteString("type", Request.Subject.Type);
            json.WriteString("id", Request.Subject.Id);
            json.WriteEndObject();
            json.WriteStartObject("action");
            json.WriteString("name", Request.Action);
            json.WriteEndObject();
            json.WriteStartObject("resource");
            json.WriteString("type", Request.Resource.Type);
            json.WriteString("id", Request.Resource.Id);
            json.WriteEndObject();
            if (Request.AgentId is { } agent)
            {
                json.WriteStartObject("context");
                json.WriteStartObject("agent");
                json.WriteString("type", "agent");
                json.WriteString("id", agent);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
