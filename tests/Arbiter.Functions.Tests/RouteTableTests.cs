using System.Text.Json;
using Arbiter.Api;
using Arbiter.Api.Http;
using Arbiter.Review;
using Arbiter.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbiter.Functions.Tests;

/// <summary>
/// Both hosts serve one API: the self-hosted server's route table (method, route, declared caller role) equals the
/// Functions app's (functions.metadata, and the role its edge middleware reads from each function).
/// </summary>
public sealed class RouteTableTests
{
    [Fact]
    public void RouteTable_ServerAndFunctions_AreTheSame()
    {
        var server = ServerRoutes();
        var functions = FunctionRoutes();

        Assert.True(server.Count >= 36, $"only {server.Count} server routes were found");
        Assert.Equal(functions.Order(StringComparer.Ordinal), server.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RoleOf_FunctionWithoutDeclaredRole_IsAdmin()
    {
        Assert.Equal(CallerRole.Admin, EdgeWorkerMiddleware.RoleOf("Arbiter.Functions.Nowhere.Missing.Method"));
        Assert.Equal(CallerRole.Public, EdgeWorkerMiddleware.RoleOf("Arbiter.Functions.Decisions.DecisionFunctions.Configuration"));
        Assert.Equal(CallerRole.Evaluate, EdgeWorkerMiddleware.RoleOf("Arbiter.Functions.Decisions.DecisionFunctions.Evaluation"));
    }

    private static List<string> ServerRoutes()
    {
        var db = Path.Combine(Path.GetTempPath(), $"arbiter-routes-{Guid.NewGuid():n}.db");
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "Development",
            ["Auth:DevelopmentTenant"] = "demo",
            ["Store:SqlitePath"] = db,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        builder.AddArbiterApi();
        builder.AddArbiterSync();
        builder.AddArbiterGovernanceApi();
        builder.AddArbiterReview();
        var app = builder.Build();
        app.MapArbiterEndpoints();
        app.MapGovernanceEndpoints();
        app.MapArbiterReview();
        var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m =>
                $"{m.ToUpperInvariant()} {e.RoutePattern.RawText!.TrimStart('/')} {e.Metadata.GetMetadata<RequiresRoleAttribute>()?.Role}"))
            .ToList();
        ((IDisposable)app).Dispose();
        return routes;
    }

    private static List<string> FunctionRoutes()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var routes = new List<string>();
        foreach (var function in doc.RootElement.EnumerateArray())
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray())
            {
                if (binding.GetProperty("type").GetString() != "httpTrigger")
                    continue;
                var role = EdgeWorkerMiddleware.RoleOf(function.GetProperty("entryPoint").GetString()!);
                foreach (var method in binding.GetProperty("methods").EnumerateArray())
                    routes.Add($"{method.GetString()!.ToUpperInvariant()} {binding.GetProperty("route").GetString()} {role}");
            }
        }
        return routes;
    }
}
