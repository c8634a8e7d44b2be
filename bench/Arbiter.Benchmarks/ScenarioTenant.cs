using System.Text;
using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Scenario;

namespace Arbiter.Benchmarks;

/// <summary>The scenario as the server sees it: a tenant file to seed from, and AuthZEN request bodies.</summary>
internal static class ScenarioTenant
{
    /// <summary>Writes the scenario's documents as an <c>arbiter-tenant/1</c> file (sections by document kind).</summary>
    public static void WriteTenantFile(ScenarioFile scenario, string path)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("format", TenantFile.Format);
        foreach (var (section, kind) in TenantFile.Sections)
        {
            json.WriteStartArray(section);
            foreach (var change in scenario.Changes.Where(c => c.Kind == kind))
                change.Body!.Value.WriteTo(json);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    /// <summary>One AuthZEN evaluation: principal context carries the agent in <c>context.agent</c>.</summary>
    public static void WriteEvaluation(Utf8JsonWriter json, DecisionRequest request)
    {
        json.WriteStartObject();
        json.WriteStartObject("subject");
        json.WriteString("type", request.Subject.Type);
        json.WriteString("id", request.Subject.Id);
        json.WriteEndObject();
        json.WriteStartObject("action");
        json.WriteString("name", request.Action);
        json.WriteEndObject();
        json.WriteStartObject("resource");
        json.WriteString("type", request.Resource.Type);
        json.WriteString("id", request.Resource.Id);
        json.WriteEndObject();
        if (request.AgentId is { } agent)
        {
            json.WriteStartObject("context");
            json.WriteStartObject("agent");
            json.WriteString("type", SubjectTypes.Agent);
            json.WriteString("id", agent);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    public static byte[] EvaluationBody(DecisionRequest request)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
            WriteEvaluation(json, request);
        return buffer.ToArray();
    }

    public static byte[] BatchBody(IEnumerable<DecisionRequest> requests)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("evaluations");
            foreach (var r in requests)
                WriteEvaluation(json, r);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary><c>decision</c> of a single evaluation response.</summary>
    public static bool Decision(byte[] response)
    {
        using var doc = JsonDocument.Parse(response);
        return doc.RootElement.GetProperty("decision").GetBoolean();
    }

    /// <summary><c>evaluations[*].decision</c> of a batch response.</summary>
    public static bool[] Decisions(byte[] response)
    {
        using var doc = JsonDocument.Parse(response);
        return [.. doc.RootElement.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("decision").GetBoolean())];
    }

    public static string Describe(DecisionRequest r) =>
        r.AgentId is null ? $"{r.Subject.Type}:{r.Subject.Id} {r.Action} {r.Resource.Id}" : $"{r.Subject.Type}:{r.Subject.Id} via {r.AgentId} {r.Action} {r.Resource.Id}";

    public static string Text(byte[] body) => Encoding.UTF8.GetString(body);
}
