using System.Net.Http.Json;
using System.Text.Json;
using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

/// <summary>The remote commands as an operator runs them, against the real server (Development mode on loopback).</summary>
public sealed class RemoteCommandTests(ServerProcess server) : IClassFixture<ServerProcess>, IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private Task<CliProcess.Run> RunAsync(params string[] arguments) =>
        CliProcess.RunAsync(_folder.Path, [.. arguments, "--server", server.BaseAddress.ToString()]);

    [Fact]
    public async Task PullThenDiff_Unchanged_NoDifferenceExitZero()
    {
        var pull = await RunAsync("policy", "pull", "pulled");
        var diff = await RunAsync("policy", "diff", "pulled");

        Assert.True(pull.ExitCode == 0, pull.All);
        Assert.True(File.Exists(Path.Combine(_folder.Path, "pulled", "hr-may-use-hr-assistant.json")));
        Assert.Equal(0, diff.ExitCode);
        Assert.Contains("0 difference(s)", diff.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_NewAndChangedPolicies_DiffShowsThemFirstAndNothingAfter()
    {
        Assert.Equal(0, (await RunAsync("policy", "pull", "set")).ExitCode);
        var id = "cli-" + Guid.NewGuid().ToString("n")[..8];
        _folder.Write($"set/{id}.json", $$"""{"id":"{{id}}","effect":"permit","agents":{"ids":["recon-agent"]},"actions":["tools/list"],"modes":["agentOnly"]}""");
        var changed = Path.Combine(_folder.Path, "set", "staff-clearance-internal.json");
        File.WriteAllText(changed, File.ReadAllText(changed).Replace("Staff are entitled", "Staff (all of them) are entitled", StringComparison.Ordinal));

        var before = await RunAsync("policy", "diff", "set");
        var dryRun = await RunAsync("policy", "push", "set", "--dry-run");
        var stillBefore = await RunAsync("policy", "diff", "set");
        var push = await RunAsync("policy", "push", "set");
        var after = await RunAsync("policy", "diff", "set");

        Assert.Equal(1, before.ExitCode);
        Assert.Contains($"+ {id}", before.Output, StringComparison.Ordinal);
        Assert.Contains("~ staff-clearance-internal: description", before.Output, StringComparison.Ordinal);
        Assert.Contains("would create 1, update 1", dryRun.Errors, StringComparison.Ordinal);
        Assert.Equal(1, stillBefore.ExitCode);
        Assert.True(push.ExitCode == 0, push.All);
        Assert.Contains("created 1, updated 1", push.Errors, StringComparison.Ordinal);
        Assert.Equal(0, after.ExitCode);
    }

    [Fact]
    public async Task Push_InvalidPolicy_NothingSentExitOne()
    {
        _folder.Write("bad/p.json", """{"id":"never-stored","effect":"sometimes","agents":{"any":true},"actions":["tools/list"]}""");

        var push = await RunAsync("policy", "push", "bad");
        var pull = await RunAsync("policy", "pull", "check");

        Assert.Equal(1, push.ExitCode);
        Assert.Contains("bad/p.json#/effect: ", push.Errors, StringComparison.Ordinal);
        Assert.Contains("nothing sent", push.Errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder.Path, "check", "never-stored.json")));
    }

    [Fact]
    public async Task AgentsSuspendResume_KnownAgent_ExitZero_UnknownAgent_OneLine404ExitOne()
    {
        var suspend = await RunAsync("agents", "suspend", "legacy-bot");
        var resume = await RunAsync("agents", "resume", "legacy-bot");
        var unknown = await RunAsync("agents", "suspend", "no-such-agent");

        Assert.True(suspend.ExitCode == 0, suspend.All);
        Assert.Equal("agent 'legacy-bot' suspended", suspend.Output.Trim());
        Assert.Equal(0, resume.ExitCode);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("arbiter: the server refused: 404", unknown.Errors.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecisionsQueryAndReplay_RecordedDecisions_FlipsCountedExactly()
    {
        // Three real decisions through the AuthZEN endpoint, by a user of its own so no other test's decisions count.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (var agent in new[] { "hr-assistant", "hr-assistant", "general-assistant" })
        {
            using var response = await http.PostAsJsonAsync("/access/v1/evaluation", new
            {
                subject = new { type = "user", id = "frank" },
                action = new { name = "agent.invoke" },
                resource = new { type = "agent", id = agent },
            });
            response.EnsureSuccessStatusCode();
        }
        // The log is written in the background: ask until the three are there (each ask is a real query, no sleep).
        CliProcess.Run query = null!;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            query = await RunAsync("decisions", "query", "--subject", "frank", "--action", "agent.invoke", "--json", "--limit", "50");
            if (query.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 3)
                break;
        }
        var records = query.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, records.Count);
        var from = records.Min(r => r.GetProperty("time").GetDateTimeOffset()).AddSeconds(-1).ToString("O");
        var to = records.Max(r => r.GetProperty("time").GetDateTimeOffset()).AddSeconds(1).ToString("O");
        // The candidate: the server's policies without the one that lets HR reach the HR assistant.
        Assert.Equal(0, (await RunAsync("policy", "pull", "candidate")).ExitCode);
        File.Delete(Path.Combine(_folder.Path, "candidate", "hr-may-use-hr-assistant.json"));

        var replay = await RunAsync("policy", "replay", "--candidate", "candidate", "--from", from, "--to", to, "--subject", "frank");

        Assert.True(replay.ExitCode == 0, replay.All);
        Assert.Contains("3 decision(s) read, 2 would flip: 2 permit -> deny, 0 deny -> permit", replay.Output, StringComparison.Ordinal);
        Assert.Contains("permit-to-deny  agent hr-assistant  agent.invoke agent/hr-assistant  (1 subject(s))", replay.Output, StringComparison.Ordinal);
        Assert.Contains("now: deny: user 'frank' may not invoke agent 'hr-assistant'", replay.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatIf_ChangedAnswer_PrintsItAndExitsOne()
    {
        var body = _folder.Write("whatif.json", """
            {"remove":["hr-may-use-hr-assistant"],
             "evaluations":[{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}},
                            {"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}]}
            """);

        var run = await RunAsync("whatif", "--body", body);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("#0: permit -> deny  CHANGED", run.Output, StringComparison.Ordinal);
        Assert.Contains("#1: deny -> deny", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GovernanceApprove_GovernanceOff_OneLineAndExitsOne()
    {
        var run = await RunAsync("governance", "approve", "task-1", "--comment", "ok");

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        Assert.StartsWith("arbiter: the server refused: 404", run.Errors.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyRemoteCommand_ServerDown_OneLineAndExitsTwo()
    {
        var run = await CliProcess.RunAsync(_folder.Path, "policy", "pull", "x", "--server", "http://127.0.0.1:9");

        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        Assert.StartsWith("arbiter: ", Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
