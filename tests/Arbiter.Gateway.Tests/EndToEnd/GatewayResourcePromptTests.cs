using System.Text.Json.Nodes;
using Arbiter.Gateway.Tests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Arbiter.Gateway.Tests.EndToEnd;

/// <summary><c>resources/*</c> and <c>prompts/*</c> through the gateway: lists filtered per item, reads and gets decided before forwarding.</summary>
public sealed class GatewayResourcePromptTests
{
    // Access is user ∩ agent: one policy grants the agent, another entitles the user.
    private static readonly JsonObject AgentGrant = new()
    {
        ["id"] = "hr-assistant-handbook-and-greeting",
        ["description"] = "The HR assistant may read the handbook and use the greeting prompt.",
        ["effect"] = "permit",
        ["actions"] = new JsonArray("data.read", "prompts/get"),
        ["agents"] = new JsonObject { ["ids"] = new JsonArray("hr-assistant") },
        ["resources"] = new JsonObject { ["ids"] = new JsonArray("urn:docs:handbook", "greet") },
    };

    private static readonly JsonObject UserEntitlement = new()
    {
        ["id"] = "alice-handbook-and-greeting",
        ["description"] = "Alice may read the handbook and use the greeting prompt.",
        ["effect"] = "permit",
        ["actions"] = new JsonArray("data.read", "prompts/get"),
        ["subjects"] = new JsonObject { ["users"] = new JsonArray("alice") },
        ["resources"] = new JsonObject { ["ids"] = new JsonArray("urn:docs:handbook", "greet") },
    };

    private static async Task GrantAsync(GatewayEnvironment env)
    {
        foreach (var uri in new[] { "urn:docs:handbook", "urn:docs:secrets" })
            await env.RegisterAsync("document", uri);
        foreach (var prompt in new[] { "greet", "escalate" })
            await env.RegisterAsync("document", prompt);
        await env.CreatePolicyAsync(AgentGrant.DeepClone().AsObject());
        await env.CreatePolicyAsync(UserEntitlement.DeepClone().AsObject());
    }

    [Fact]
    public async Task ListResources_PolicyNamesOne_ListsOnlyThatOne()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        await GrantAsync(env);
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var resources = await alice.ListResourcesAsync();

        Assert.Equal(["urn:docs:handbook"], resources.Select(r => r.Uri));
    }

    [Fact]
    public async Task ReadResource_PermittedAndNot_ForwardedOrDenied()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        await GrantAsync(env);
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var handbook = await alice.ReadResourceAsync("urn:docs:handbook");
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.ReadResourceAsync("urn:docs:secrets").AsTask());

        Assert.Equal("the handbook", Assert.IsType<TextResourceContents>(Assert.Single(handbook.Contents)).Text);
        Assert.Equal(-32003, (int)error.ErrorCode);
    }

    [Fact]
    public async Task ListPrompts_PolicyNamesOne_ListsOnlyThatOne()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        await GrantAsync(env);
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var prompts = await alice.ListPromptsAsync();

        Assert.Equal(["greet"], prompts.Select(p => p.Name));
    }

    [Fact]
    public async Task GetPrompt_PermittedAndNot_ForwardedOrDenied()
    {
        await using var env = await GatewayEnvironment.StartAsync();
        await GrantAsync(env);
        var alice = await env.ConnectAsync("meta", "alice", "hr-assistant");

        var greet = await alice.GetPromptAsync("greet");
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => alice.GetPromptAsync("escalate").AsTask());

        Assert.Equal("Hello", Assert.IsType<TextContentBlock>(Assert.Single(greet.Messages).Content).Text);
        Assert.Equal(-32003, (int)error.ErrorCode);
    }
}
