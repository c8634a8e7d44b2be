using System.Net;
using System.Text;
using System.Text.Json;
using Arbiter.Api.Tests.Admin;
using Arbiter.Api.Tests.Infrastructure;
using Azure.Storage.Queues;

namespace Arbiter.Api.Tests.Governance;

/// <summary>
/// A group newly allowed to invoke the HR assistant: drift finds it, a review task opens and is announced on the review
/// queue, and revoking the task denies that group's members on the very next decision. Its own server (hr-assistant's
/// baseline and task are this class's alone).
/// </summary>
public sealed class ReviewRevokeTests(GovernanceServer server) : IClassFixture<GovernanceServer>
{
    private const string Agent = "hr-assistant";
    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task NewInvokingGroup_Revoke_NextEvaluationDeniesTheGroupOnly()
    {
        await _client.RunDriftAsync(full: true);
        var (user, group) = await _client.AddInvokingGroupAsync(Agent);
        Assert.True((await _client.InvokeAsync(user, Agent)).Decision());

        var run = await _client.RunDriftAsync();
        var task = await _client.OpenTaskAsync(Agent, group);

        Assert.True(run.GetProperty("findingsOpened").GetInt32() >= 1, run.GetRawText());
        Assert.Equal("drift", task.Text("reason"));
        Assert.Equal("frank", task.Text("owner"));
        Assert.Contains(group, task.GetProperty("diff").GetProperty("addedGroups").EnumerateArray().Select(g => g.GetString()));
        var entitlements = (await _client.FetchAsync(GovernanceApi.Entitlements(Agent))).Json;
        Assert.Contains(group, entitlements.GetProperty("current").GetProperty("invokingGroups").EnumerateArray().Select(g => g.GetString()));
        Assert.DoesNotContain(group, entitlements.GetProperty("baseline").GetProperty("entitlements").GetProperty("invokingGroups").EnumerateArray().Select(g => g.GetString()));
        Assert.Contains(group, entitlements.GetProperty("diff").GetProperty("addedGroups").EnumerateArray().Select(g => g.GetString()));

        var revoke = await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(task.Text("id")) + "/revoke", new { comment = "not cleared for HR data" });
        var denied = await _client.InvokeAsync(user, Agent);
        var certified = await _client.InvokeAsync("alice", Agent);

        Assert.True(revoke.Status == HttpStatusCode.OK, revoke.Text);
        Assert.Equal("revoked", revoke.Json.Text("state"));
        Assert.Contains(revoke.Json.GetProperty("history").EnumerateArray(), h => h.Text("note") == "not cleared for HR data");
        Assert.False(denied.Decision());
        Assert.True(certified.Decision());
        var read = (await _client.FetchAsync(GovernanceApi.Task(task.Text("id")))).Json;
        Assert.Equal("revoked", read.Text("state"));
        var again = await _client.SendAsync(HttpMethod.Post, GovernanceApi.Task(task.Text("id")) + "/revoke");
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        var finding = Assert.Single(await _client.ItemsAsync($"{GovernanceApi.Findings}?agent={Agent}"), f => f.Text("subject") == group);
        Assert.Equal("resolved", finding.Text("state"));
    }

    [Fact]
    public async Task NewInvokingGroup_DriftRun_TaskAnnouncedOnTheReviewQueueInBase64()
    {
        await _client.RunDriftAsync(full: true);
        var (_, group) = await _client.AddInvokingGroupAsync(Agent);

        await _client.RunDriftAsync();
        var task = await _client.OpenTaskAsync(Agent, group);

        var message = await FindMessageAsync(GovernanceStorage.Queue(server.ReviewQueue), task.Text("id"));
        Assert.Equal("demo", message.Text("tenantId"));
        Assert.Equal(Agent, message.Text("agentId"));
        Assert.Equal("drift", message.Text("reason"));
        Assert.True(message.GetProperty("findings").GetInt32() >= 1);
        Assert.Contains("frank", message.GetProperty("reviewers").EnumerateArray().Select(r => r.GetString()));
        var announced = (await _client.FetchAsync(GovernanceApi.Task(task.Text("id")))).Json;
        Assert.Equal(JsonValueKind.String, announced.GetProperty("announcedAt").ValueKind);

        // On the wire the message is Base64 (what the Functions queue trigger decodes by default).
        var raw = new QueueClient(GovernanceStorage.Connection, server.ReviewQueue);
        var peeked = await raw.PeekMessagesAsync(32);
        Assert.Contains(peeked.Value, m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Body.ToString())).Contains(task.Text("id"), StringComparison.Ordinal));
    }

    /// <summary>
    /// Peeks (does not consume) the message announcing <paramref name="taskId"/>. It was sent before the request that
    /// opened the task answered, so it is there now; peeking pages by dequeue count is not possible, so at most the
    /// 32 oldest messages of this fixture's own queue are looked at.
    /// </summary>
    private static async Task<JsonElement> FindMessageAsync(QueueClient queue, string taskId)
    {
        var peeked = await queue.PeekMessagesAsync(32);
        foreach (var m in peeked.Value)
        {
            var json = JsonDocument.Parse(m.Body.ToString()).RootElement.Clone();
            if (json.Text("taskId") == taskId)
                return json;
        }
        Assert.Fail($"no message for task {taskId} on the review queue");
        return default;
    }
}
