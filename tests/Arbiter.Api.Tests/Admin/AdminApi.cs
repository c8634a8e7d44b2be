using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests.Admin;

/// <summary>Calls to the admin API (<c>/manage/v1</c>) with optional If-Match and bearer token, and the data the tests create.</summary>
public static class AdminApi
{
    public const string Prefix = "/manage/v1";
    public const string Policies = Prefix + "/policies";
    public const string Validate = Policies + "/validate";
    public const string WhatIf = Prefix + "/whatif";
    public const string Import = Prefix + "/tenant/import";
    public const string Export = Prefix + "/tenant/export";

    public static string Policy(string id) => $"{Policies}/{id}";

    public static string Directory(string collection, string id) => $"{Prefix}/directory/{collection}/{id}";

    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null, string? ifMatch = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, response.Headers, response.Content.Headers.ContentType?.MediaType, text);
    }

    public static Task<Reply> FetchAsync(this HttpClient client, string path, string? bearer = null) => client.SendAsync(HttpMethod.Get, path, bearer: bearer);

    /// <summary>A unique id, so every test owns its documents even when a class shares one server.</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():n}"[..(prefix.Length + 13)];

    /// <summary>A permit letting <paramref name="users"/> invoke <paramref name="agent"/>.</summary>
    public static Dictionary<string, object?> InvokePolicy(string id, string agent, params string[] users) => new()
    {
        ["id"] = id,
        ["description"] = "test policy",
        ["effect"] = "permit",
        ["actions"] = new[] { "agent.invoke" },
        ["subjects"] = new { users },
        ["agents"] = new { ids = new[] { agent } },
    };

    public static object Agent(string? owner = "erin") => new { displayName = "Test agent", enabled = true, suspended = false, owner, sponsors = new[] { "alice" }, tags = new[] { "test" } };

    /// <summary>The ETag header as sent (quoted), ready to send back in If-Match.</summary>
    public static string ETag(this Reply reply) => reply.Header("ETag") ?? throw new InvalidOperationException("no ETag header: " + reply.Text);

    /// <summary>Creates an agent and a policy letting <paramref name="user"/> invoke it; returns the agent id.</summary>
    public static async Task<string> CreateInvokableAgentAsync(this HttpClient client, string user = "alice", string? bearer = null)
    {
        var agent = NewId("agent");
        var put = await client.SendAsync(HttpMethod.Put, Directory("agents", agent), Agent(), bearer: bearer);
        Assert.Equal(System.Net.HttpStatusCode.Created, put.Status);
        var policy = await client.SendAsync(HttpMethod.Post, Policies, InvokePolicy(NewId("invoke"), agent, user), bearer: bearer);
        Assert.Equal(System.Net.HttpStatusCode.Created, policy.Status);
        return agent;
    }

    public static Task<Reply> InvokeAsync(this HttpClient client, string user, string agent, string? bearer = null) =>
        client.PostAsync(Pdp.Evaluation, Pdp.Request(user, "agent.invoke", "agent", agent), bearer: bearer);

    public static string ReasonAdmin(this Reply reply) => reply.Json.GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString() ?? "";

    /// <summary>Every problem path in a problem+json <c>errors</c> member.</summary>
    public static IReadOnlyList<string> ErrorPaths(this Reply reply) =>
        [.. reply.Json.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString() ?? "")];

    /// <summary>Every live document of a kind, read straight from the server's store.</summary>
    public static async Task<IReadOnlyList<StoredDocument>> ListAllAsync(this ArbiterServerFixture server, string tenant, string kind)
    {
        var store = server.Services.GetRequiredService<IDocumentStore>();
        var all = new List<StoredDocument>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync(tenant, kind, continuation, 500);
            all.AddRange(page.Items);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return all;
    }
}
