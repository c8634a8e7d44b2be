using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>
/// A PDP double that speaks AuthZEN's evaluation and batch shapes and decides each item with the test's rule: the
/// batch defaults are merged into each item, <c>deny_on_first_deny</c> stops at the first deny. Every decided item
/// (merged) is recorded, with the <c>X-Request-ID</c> it came with.
/// </summary>
public static class ScriptedPdp
{
    public sealed record Item(JsonObject Request, string? RequestId);

    public static async Task<(FakePdp Pdp, ConcurrentQueue<Item> Items)> StartAsync(Func<JsonObject, JsonObject> decide)
    {
        var items = new ConcurrentQueue<Item>();
        var pdp = await FakePdp.StartAsync(async context =>
        {
            var body = JsonNode.Parse((string)context.Items["body"]!)!.AsObject();
            var requestId = context.Request.Headers["X-Request-ID"].ToString();
            JsonNode answer;
            if (context.Request.Path == "/access/v1/evaluations")
            {
                var results = new JsonArray();
                var semantic = (string?)body["options"]?["evaluations_semantic"];
                foreach (var raw in body["evaluations"]!.AsArray())
                {
                    var item = new JsonObject();
                    foreach (var member in new[] { "subject", "action", "resource", "context" })
                    {
                        var value = raw![member] ?? body[member];
                        if (value is not null)
                            item[member] = value.DeepClone();
                    }
                    items.Enqueue(new Item(item, requestId));
                    var decision = decide(item);
                    results.Add(decision);
                    if (semantic == "deny_on_first_deny" && decision["decision"]!.GetValue<bool>() == false)
                        break;
                }
                answer = new JsonObject { ["evaluations"] = results };
            }
            else
            {
                items.Enqueue(new Item(body, requestId));
                answer = decide(body);
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        });
        return (pdp, items);
    }

    public static JsonObject Permit(string id = "d-permit", JsonArray? obligations = null)
    {
        var context = new JsonObject { ["decision_id"] = id, ["reason_user"] = new JsonObject { ["en"] = "Allowed." } };
        if (obligations is not null)
            context["obligations"] = obligations;
        return new JsonObject { ["decision"] = true, ["context"] = context };
    }

    public static JsonObject Deny(string id = "d-deny", string reason = "Blocked by your organisation's policy.") =>
        new() { ["decision"] = false, ["context"] = new JsonObject { ["decision_id"] = id, ["reason_user"] = new JsonObject { ["en-403"] = reason } } };

    public static JsonObject Obligation(string id, string type, JsonObject properties) =>
        new() { ["id"] = id, ["type"] = type, ["properties"] = properties };

    public static string? Action(JsonObject item) => (string?)item["action"]?["name"];

    public static string? ResourceId(JsonObject item) => (string?)item["resource"]?["id"];
}
