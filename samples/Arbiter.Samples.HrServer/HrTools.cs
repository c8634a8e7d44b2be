using System.ComponentModel;
using Arbiter.Mcp;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Arbiter.Samples.HrServer;

/// <summary>
/// The demo tenant's tools (names as registered in Arbiter). Every call reaches a handler only after Arbiter permitted
/// it; <c>hr-lookup</c> applies the row filters Arbiter attached to its <c>data.read</c> of the employees dataset, and
/// its answer is redacted by the <c>response.expose</c> decision before it leaves the server.
/// </summary>
[McpServerToolType]
public sealed class HrTools(EmployeeDirectory directory)
{
    private static readonly (string Topic, string Text)[] Policies =
    [
        ("leave", "Annual leave: 25 days plus public holidays; carry over up to 5 days with your manager's approval."),
        ("parental", "Parental leave: 26 weeks at full pay for the primary carer, 6 weeks for the secondary carer."),
        ("expenses", "Expenses: submit receipts within 30 days; travel above 500 EUR needs pre-approval."),
    ];

    private static readonly (string Title, string Text)[] Docs =
    [
        ("Onboarding guide", "Your first week: laptop pickup, security training, and the team handbook."),
        ("Security handbook", "Report phishing to security@; lock your screen; never share credentials."),
        ("Travel policy", "Book through the travel portal; economy class under six hours."),
    ];

    public sealed record EmployeeRecord(string Id, string Name, string Department, string Grade, string EmploymentStatus, string Region, long Salary, string NationalId);

    public sealed record LookupResult(IReadOnlyList<EmployeeRecord> Employees, IReadOnlyList<string> AppliedRowFilters);

    [McpServerTool(Name = "hr-lookup", UseStructuredContent = true), Description("Look up employee records by (part of) a name; empty for everyone.")]
    public LookupResult Lookup(RequestContext<CallToolRequestParams> context, [Description("Part of the employee's name")] string? name = null)
    {
        var filters = context.GetRowFilters();
        try
        {
            var rows = directory.Find(name, filters);
            return new LookupResult(
                [.. rows.Select(e => new EmployeeRecord(e.Id, e.Name, e.Department, e.Grade, e.EmploymentStatus, e.Region, e.Salary, e.NationalId))],
                [.. filters.Select(f => f.Filter)]);
        }
        catch (UnsupportedRowFilterException e)
        {
            throw new McpException(e.Message);
        }
    }

    [McpServerTool(Name = "hr-policies"), Description("Search the HR policies.")]
    public static string PoliciesSearch([Description("A topic, e.g. leave")] string topic) =>
        string.Join("\n", Policies.Where(p => p.Topic.Contains(topic, StringComparison.OrdinalIgnoreCase) || p.Text.Contains(topic, StringComparison.OrdinalIgnoreCase)).Select(p => p.Text)) is { Length: > 0 } found
            ? found
            : "No HR policy matches.";

    [McpServerTool(Name = "sql-query"), Description("Run a read-only SQL SELECT against the warehouse (restricted).")]
    public string SqlQuery([Description("One SELECT statement")] string sql) =>
        System.Text.Json.JsonSerializer.Serialize(directory.Query(sql).Select(r => r.ToDictionary(k => k.Key, k => k.Value?.ToString())).ToList());

    [McpServerTool(Name = "docs-search"), Description("Search the company docs.")]
    public static string DocsSearch([Description("Words to look for")] string query) =>
        string.Join("\n", Docs.Where(d => d.Title.Contains(query, StringComparison.OrdinalIgnoreCase) || d.Text.Contains(query, StringComparison.OrdinalIgnoreCase)).Select(d => $"{d.Title}: {d.Text}")) is { Length: > 0 } found
            ? found
            : "No document matches.";
}
