using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbiter.Gateway.Tests.Infrastructure;

/// <summary>
/// A Streamable HTTP MCP server that answers every request with a single <c>application/json</c> body (the transport's
/// other answer form; the SDK servers here answer in SSE), stateless, with one tool whose description a test can change
/// (<see cref="Description"/>) the way a server changes a tool under its callers' feet.
/// </summary>
public sealed class JsonModeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private JsonModeServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Description { get; set; } = "Employee records.";

    public static async Task<JsonModeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        JsonModeServer? server = null;
        app.MapGet("/mcp", () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
        app.MapPost("/mcp", async (HttpContext context) =>
        {
            var message = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            if (message["id"] is null)
                return Results.Accepted();
            var result = (string?)message["method"] switch
            {
                "initialize" => new JsonObject
                {
                    ["protocolVersion"] = message["params"]?["protocolVersion"]?.DeepClone() ?? "2025-06-18",
                    ["capabilities"] = new JsonObject { ["tools"] = new JsonObject() },
                    ["serverInfo"] = new JsonObject { ["name"] = "json-mode", ["version"] = "1.0.0" },
                },
                "ping" => new JsonObject(),
                "tools/list" => new JsonObject
                {
                    ["tools"] = new JsonArray(
                        Tool("hr-lookup", server!.Description),
                        Tool("hr-policies", "HR policies."),
                        Tool("brand-new-tool", "A tool no policy mentions.")),
                },
                "tools/call" => Employees(),
                _ => null,
            };
            var answer = result is null
                ? new JsonObject { ["jsonrpc"] = "2.0", ["id"] = message["id"]!.DeepClone(), ["error"] = new JsonObject { ["code"] = -32601, ["message"] = "Method not found" } }
                : new JsonObject { ["jsonrpc"] = "2.0", ["id"] = message["id"]!.DeepClone(), ["result"] = result };
            return Results.Text(answer.ToJsonString(), "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server = new JsonModeServer(app, new Uri(address.TrimEnd('/') + "/mcp"));
        return server;
    }

    private static JsonObject Tool(string name, string description) => new()
    {
        ["name"] = name,
        ["description"] = description,
        ["inputSchema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["name"] = new JsonObject { ["type"] = "string" } } },
    };

    private static JsonObject Employees()
    {
        var record = new JsonObject { ["employees"] = new JsonArray(new JsonObject { ["id"] = "E-1001", ["name"] = "Dana Scott", ["salary"] = 85000, ["nationalId"] = "AB123456C" }) };
        return new JsonObject
        {
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = record.ToJsonString() }),
            ["structuredContent"] = record,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
