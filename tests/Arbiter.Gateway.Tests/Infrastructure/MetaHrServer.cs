using System.ComponentModel;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Arbiter.Gateway.Tests.Infrastructure;

/// <summary>
/// An MCP server that knows nothing of Arbiter (the official C# SDK, no Arbiter.Mcp, no authentication: it trusts the
/// gateway in front of it) with the demo's HR tool names, a resource pair and a prompt pair. Its <c>hr-lookup</c>
/// applies the row filters the gateway puts in <c>_meta["arbiter/rowFilters"]</c> and answers records carrying the
/// fields a permit may redact, so a test sees what the gateway did on the way in and on the way out.
/// </summary>
public sealed class MetaHrServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetaHrServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>The test collection of the classes that read <see cref="Runs"/> (it is shared by every instance).</summary>
    public const string RunsCollection = "MetaHrServer runs";

    /// <summary>Tool handler runs, so a test can assert a denied call never reached the server.</summary>
    public static int Runs => Volatile.Read(ref _runs);

    private static int _runs;

    public static async Task<MetaHrServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddMcpServer().WithHttpTransport().WithTools<Tools>().WithResources<Resources>().WithPrompts<Prompts>();
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new MetaHrServer(app, new Uri(address.TrimEnd('/') + "/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Employee(string Id, string Name, string EmploymentStatus, string Grade, int Salary, string NationalId);

    public sealed record Lookup(IReadOnlyList<Employee> Employees, IReadOnlyList<string> AppliedRowFilters);

    [McpServerToolType]
    public sealed class Tools
    {
        private static readonly Employee[] People =
        [
            new("E-1001", "Dana Scott", "active", "B2", 85000, "AB123456C"),
            new("E-1003", "Priya Patel", "terminated", "C1", 71000, "EF345678G"),
            new("E-1004", "Morgan Reed", "active", "E2", 240000, "GH456789I"),
        ];

        [McpServerTool(Name = "hr-lookup", UseStructuredContent = true), Description("Employee records.")]
        public static Lookup HrLookup(RequestContext<CallToolRequestParams> context)
        {
            Interlocked.Increment(ref _runs);
            var filters = context.Params?.Meta?["arbiter/rowFilters"] is JsonArray given
                ? given.Select(f => (string)f!["filter"]!).ToList()
                : [];
            // The two demo filters, applied for real: active employees only, grades below E1.
            var rows = People.Where(p => (!filters.Contains("employment_status = 'active'") || p.EmploymentStatus == "active")
                                      && (!filters.Contains("grade < 'E1'") || string.CompareOrdinal(p.Grade, "E1") < 0)).ToList();
            return new Lookup(rows, filters);
        }

        [McpServerTool(Name = "hr-policies"), Description("HR policies.")]
        public static string HrPolicies(RequestContext<CallToolRequestParams> context, string topic)
        {
            Interlocked.Increment(ref _runs);
            // Shows any row filters that reached it, so a test can see that a caller's own never do.
            var filters = context.Params?.Meta?["arbiter/rowFilters"]?.ToJsonString() ?? "none";
            return "Annual leave: 25 days (" + topic + "); row filters: " + filters;
        }

        [McpServerTool(Name = "docs-search"), Description("Company docs.")]
        public static string DocsSearch(string query)
        {
            Interlocked.Increment(ref _runs);
            return "Onboarding guide (" + query + ")";
        }
    }

    [McpServerResourceType]
    public sealed class Resources
    {
        [McpServerResource(UriTemplate = "urn:docs:handbook", Name = "handbook"), Description("The handbook.")]
        public static string Handbook() => "the handbook";

        [McpServerResource(UriTemplate = "urn:docs:secrets", Name = "secrets"), Description("Secrets.")]
        public static string Secrets() => "the secrets";
    }

    [McpServerPromptType]
    public sealed class Prompts
    {
        [McpServerPrompt(Name = "greet"), Description("A greeting.")]
        public static string Greet() => "Hello";

        [McpServerPrompt(Name = "escalate"), Description("An escalation.")]
        public static string Escalate() => "Escalate";
    }
}
