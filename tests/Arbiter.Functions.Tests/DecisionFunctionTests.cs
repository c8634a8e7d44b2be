using System.Text;
using System.Text.Json;
using Arbiter.Api;
using Arbiter.Api.Http;
using Arbiter.Runtime.Tenants;
using Arbiter.Api.Decisions;
using Arbiter.Api.Health;
using Arbiter.Functions.Decisions;
using Arbiter.Functions.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbiter.Functions.Tests;

/// <summary>
/// The function classes called directly (the Functions host cannot run here), over the same services the app
/// registers in Program.cs, on an embedded store seeded with the demo tenant.
/// </summary>
public sealed class DecisionFunctionTests : IAsyncLifetime
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), $"arbiter-fn-{Guid.NewGuid():n}.db");
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Arbiter:PublicBaseUrl"] = "https://arbiter.example",
            ["Auth:Mode"] = "Development",
            ["Auth:DevelopmentTenant"] = "demo",
            ["Store:Kind"] = "Sqlite",
            ["Store:SqlitePath"] = _db,
            ["Snapshot:Tenants"] = "demo",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        builder.AddArbiterFunctions();
        _host = builder.Build();
        var seed = FindRepoFile("infra/seed/demo-tenant.json");
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(seed));
        var imported = await _host.Services.GetRequiredService<TenantTransfer>().ImportAsync("demo", doc.RootElement, null, CancellationToken.None);
        Assert.True(imported.Succeeded);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_db) + "*"))
            File.Delete(f);
        return Task.CompletedTask;
    }

    private static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
                return Path.Combine(dir.FullName, relative);
        }
        throw new FileNotFoundException(relative);
    }

    private DecisionFunctions Function() => new(_host.Services.GetRequiredService<DecisionHandlers>());

    /// <summary>A POST as the edge middleware hands it to a function: request id echoed, caller authenticated.</summary>
    private async Task<DefaultHttpContext> PostAsync(string json, CallerRole role = CallerRole.Evaluate)
    {
        var context = new DefaultHttpContext { RequestServices = _host.Services };
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Headers["X-Request-ID"] = "fn-test";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        context.Response.Body = new MemoryStream();
        Assert.Null(await _host.Services.GetRequiredService<ArbiterEdge>().EnterAsync(context, role, CancellationToken.None));
        return context;
    }

    private static async Task<(int Status, JsonElement Body)> ExecuteAsync(IResult result, HttpContext context)
    {
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        using var doc = await JsonDocument.ParseAsync(context.Response.Body);
        return (context.Response.StatusCode, doc.RootElement.Clone());
    }

    [Fact]
    public async Task Evaluation_HrUserReachesHrAgent_Permits()
    {
        var function = Function();
        var context = await PostAsync("""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");

        var (status, body) = await ExecuteAsync(await function.Evaluation(context.Request, CancellationToken.None), context);

        Assert.Equal(200, status);
        Assert.True(body.GetProperty("decision").GetBoolean());
        Assert.Equal("fn-test", context.Response.Headers["X-Request-ID"].ToString());
    }

    [Fact]
    public async Task Evaluations_DenyOnFirstDeny_StopsAtTheDeny()
    {
        var function = Function();
        var context = await PostAsync("""
            {"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},
             "options":{"evaluations_semantic":"deny_on_first_deny"},
             "evaluations":[{"subject":{"type":"user","id":"alice"}},{"subject":{"type":"user","id":"bob"}},{"subject":{"type":"user","id":"frank"}}]}
            """);

        var (status, body) = await ExecuteAsync(await function.Evaluations(context.Request, CancellationToken.None), context);

        Assert.Equal(200, status);
        var results = body.GetProperty("evaluations").EnumerateArray().Select(e => e.GetProperty("decision").GetBoolean()).ToArray();
        Assert.Equal([true, false], results);
    }

    [Fact]
    public async Task SearchResource_AliceThroughHrAssistant_ListsPermittedTools()
    {
        var function = Function();
        var context = await PostAsync("""{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool"},"context":{"agent":{"type":"agent","id":"hr-assistant"}}}""");

        var (status, body) = await ExecuteAsync(await function.SearchResource(context.Request, CancellationToken.None), context);

        Assert.Equal(200, status);
        Assert.Equal(["docs-search", "hr-lookup", "hr-policies"], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!));
        Assert.Equal("", body.GetProperty("page").GetProperty("next_token").GetString());
    }

    [Fact]
    public async Task Evaluation_MissingSubjectId_Returns400NamingTheField()
    {
        var function = Function();
        var context = await PostAsync("""{"subject":{"type":"user"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");

        var (status, body) = await ExecuteAsync(await function.Evaluation(context.Request, CancellationToken.None), context);

        Assert.Equal(400, status);
        Assert.Equal("/subject/id", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Configuration_Always_AdvertisesConfiguredBaseUrl()
    {
        var function = Function();
        var context = await PostAsync("{}");

        var (_, body) = await ExecuteAsync(function.Configuration(context.Request), context);

        Assert.Equal("https://arbiter.example", body.GetProperty("policy_decision_point").GetString());
        Assert.Equal("https://arbiter.example/access/v1/evaluations", body.GetProperty("access_evaluations_endpoint").GetString());
    }

    [Fact]
    public async Task Health_AfterFirstDecision_ReportsTheTenantSnapshot()
    {
        var warm = await PostAsync("""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");
        await Function().Evaluation(warm.Request, CancellationToken.None);
        var function = new HealthFunction(_host.Services.GetRequiredService<HealthEndpoint>());
        var context = await PostAsync("{}");

        var (status, body) = await ExecuteAsync(await function.Run(context.Request, CancellationToken.None), context);

        Assert.Equal(200, status);
        var snapshot = body.GetProperty("snapshots").EnumerateArray().Single();
        Assert.Equal("demo", snapshot.GetProperty("tenantId").GetString());
        Assert.Matches("^[0-9a-f]{16}$", snapshot.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Evaluation_EveryDecision_IsInTheDecisionLogAfterShutdown()
    {
        await _host.StartAsync();
        var function = Function();
        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            var context = await PostAsync($$$"""{"subject":{"type":"user","id":"{{{user}}}"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""");
            await ExecuteAsync(await function.Evaluation(context.Request, CancellationToken.None), context);
        }
        await _host.StopAsync(); // flushes the decision log

        var query = _host.Services.GetRequiredService<Arbiter.DecisionLog.IDecisionLogQuery>();
        var now = _host.Services.GetRequiredService<TimeProvider>().GetUtcNow(); // the clock the records were stamped with
        var page = await query.QueryAsync("demo", new Arbiter.DecisionLog.DecisionLogQuery { From = now.AddHours(-1), To = now.AddMinutes(1), AgentId = "hr-assistant" }, null, 100, CancellationToken.None);
        Assert.Equal(["alice", "bob", "carol"], page.Items.Select(r => r.SubjectId).Order());
        Assert.Equal(1, page.Items.Count(r => !r.Allowed && r.SubjectId == "bob"));
        Assert.All(page.Items, r => Assert.Equal("fn-test", r.RequestId));
    }

    [Fact]
    public void DevelopmentGuard_InAzure_RefusesDevelopmentMode()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["WEBSITE_INSTANCE_ID"] = "abc",
            ["Auth:Mode"] = "Development",
            ["Store:SqlitePath"] = _db,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        builder.AddArbiterFunctions();
        using var host = builder.Build();
        var error = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Arbiter.Api.Security.AuthOptions>>().Value);
        Assert.Contains("refused in Azure", error.Message, StringComparison.Ordinal);
    }
}
