using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Governance;

/// <summary>Calls to the governance admin API (<c>/manage/v1/governance</c>) and the drift the tests create.</summary>
public static class GovernanceApi
{
    public const string Prefix = "/manage/v1/governance";
    public const string Findings = Prefix + "/findings";
    public const string Tasks = Prefix + "/tasks";
    public const string DriftRun = Prefix + "/drift/run";

    public static string Task(string id) => $"{Tasks}/{id}";

    public static string Entitlements(string agent) => $"{Prefix}/agents/{agent}/entitlements";

    public static string Baseline(string agent) => $"{Prefix}/agents/{agent}/baseline";

    public static async Task<JsonElement> RunDriftAsync(this HttpClient client, bool full = false, string? bearer = null)
    {
        var reply = await client.SendAsync(HttpMethod.Post, full ? DriftRun + "?full=true" : DriftRun, bearer: bearer);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        return reply.Json;
    }

    public static async Task<IReadOnlyList<JsonElement>> ItemsAsync(this HttpClient client, string path)
    {
        var reply = await client.FetchAsync(path);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        var json = reply.Json;
        var items = json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(items.Count, json.GetProperty("count").GetInt32());
        return items;
    }

    public static string Text(this JsonElement element, string property) => element.GetProperty(property).GetString() ?? "";

    /// <summary>
    /// A new user in a new group, and a policy letting that group invoke <paramref name="agent"/>: reach the certified
    /// baseline did not have. Returns (user, group).
    /// </summary>
    public static async Task<(string User, string Group)> AddInvokingGroupAsync(this HttpClient client, string agent)
    {
        var user = AdminApi.NewId("user");
        var group = AdminApi.NewId("group");
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(HttpMethod.Put, AdminApi.Directory("users", user),
            new { displayName = "New user", enabled = true, attributes = new { department = "Sales" } })).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(HttpMethod.Put, AdminApi.Directory("groups", group),
            new { displayName = "New group", memberUsers = new[] { user }, memberGroups = Array.Empty<string>() })).Status);
        var policy = AdminApi.NewId("invoke");
        var created = await client.SendAsync(HttpMethod.Post, AdminApi.Policies, new Dictionary<string, object?>
        {
            ["id"] = policy,
            ["description"] = "a new group may invoke the agent",
            ["effect"] = "permit",
            ["actions"] = new[] { "agent.invoke" },
            ["subjects"] = new { groups = new[] { group } },
            ["agents"] = new { ids = new[] { agent } },
        });
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        return (user, group);
    }

    /// <summary>The open review task of <paramref name="agent"/>, with the finding that it now reaches <paramref name="group"/>'s members.</summary>
    public static async Task<JsonElement> OpenTaskAsync(this HttpClient client, string agent, string group)
    {
        var findings = await client.ItemsAsync($"{Findings}?agent={agent}&state=open");
        var finding = Assert.Single(findings, f => f.Text("kind") == "newInvokingGroup" && f.Text("subject") == group);
        Assert.Equal("medium", finding.Text("severity"));
        var tasks = await client.ItemsAsync($"{Tasks}?agent={agent}&state=open");
        var task = Assert.Single(tasks);
        Assert.Equal(finding.Text("taskId"), task.Text("id"));
        Assert.Contains(finding.Text("id"), task.GetProperty("findings").EnumerateArray().Select(f => f.GetString()));
        return task;
    }
}
