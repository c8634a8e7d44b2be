using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>Tools whose answers show what the filter did: a record with fields to redact, the row filters it was handed.</summary>
[McpServerToolType]
public sealed class TestTools
{
    /// <summary>Counts handler runs, so a test can assert a denied call never reached its handler.</summary>
    private static int _runs;

    public static int Runs => Volatile.Read(ref _runs);

    [McpServerTool(Name = "record", UseStructuredContent = true), Description("An employee record.")]
    public static Employee Record(string name)
    {
        Interlocked.Increment(ref _runs);
        return new Employee(name, 90_000, "NI-123", new Manager("Frank", 150_000));
    }

    [McpServerTool(Name = "filters"), Description("The row filters this call was handed, as JSON.")]
    public static string Filters(RequestContext<CallToolRequestParams> context)
    {
        Interlocked.Increment(ref _runs);
        return new JsonArray([.. context.GetRowFilters().Select(f => (JsonNode)new JsonObject { ["id"] = f.Id, ["filter"] = f.Filter })]).ToJsonString();
    }

    [McpServerTool(Name = "plain"), Description("Plain text that cannot be redacted field by field.")]
    public static string Plain()
    {
        Interlocked.Increment(ref _runs);
        return "salary is 90000";
    }

    public sealed record Employee(string Name, int Salary, string NationalId, Manager Manager);

    public sealed record Manager(string Name, int Salary);
}
