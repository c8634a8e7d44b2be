using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;
using Arbiter.Scenario;

namespace Arbiter.Engine.Tests;

/// <summary>
/// The engine against an independent reference: the shared scenario generator (../shared/bench/gen-scenario.js)
/// labels every request with its reference implementation's decision. A smaller tenant than the benchmark's, so it
/// runs in seconds; same rule kinds, same semantics, zero mismatches allowed.
/// </summary>
public sealed class ScenarioAgreementTests : IClassFixture<ScenarioAgreementTests.SmallScenario>
{
    private readonly SmallScenario _scenario;

    public ScenarioAgreementTests(SmallScenario scenario) => _scenario = scenario;

    public sealed class SmallScenario
    {
        public SmallScenario()
        {
            var path = Path.Combine(Path.GetTempPath(), "arbiter-scenario-small-v1.json");
            ScenarioFile.Generate(ScenarioFile.FindGenerator(), path,
                "--users=3000", "--groups=300", "--departmentGroups=30", "--agents=80", "--servers=15", "--tools=400",
                "--rulesUseAgent=240", "--rulesAgentInvoke=240", "--rulesClearance=90", "--rulesDeny=90", "--rulesAgentOnly=160", "--requests=30000");
            File = ScenarioFile.Load(path);
            Snapshot = PolicySnapshot.Build("bench", TenantState.Empty.Apply(File.Changes), 1, TimeProvider.System);
        }

        public ScenarioFile File { get; }
        public PolicySnapshot Snapshot { get; }
    }

    [Fact]
    public void Evaluate_EveryScenarioRequest_AgreesWithReferenceImplementation()
    {
        Assert.Empty(_scenario.Snapshot.State.Rejected);
        var mismatches = _scenario.File.Requests
            .Where(r => _scenario.Snapshot.Evaluate(r.Request).Allowed != r.Expected)
            .Select(r => $"{r.Request.Subject.Id} via {r.Request.AgentId} on {r.Request.Resource.Id}: expected {(r.Expected ? "permit" : "deny")}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches, first: {string.Join("; ", mismatches.Take(5))}");
        // The scenario is built to hold both answers in quantity; a generator change that made it one-sided would hide bugs.
        Assert.InRange(_scenario.File.Requests.Count(r => r.Expected), 3000, 27000);
    }

    [Fact]
    public void SearchResources_ForSampledUsers_AgreesWithEvaluation()
    {
        var snapshot = _scenario.Snapshot;
        var tools = snapshot.State.Tools.Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var sample in _scenario.File.Requests.Where(r => r.Request.AgentId is not null).Take(40))
        {
            var subject = sample.Request.Subject;
            var found = snapshot.SearchResources(subject, sample.Request.AgentId, "tools/call", "tool").ToHashSet(StringComparer.Ordinal);
            foreach (var tool in tools)
            {
                var decision = snapshot.Evaluate(new DecisionRequest(subject, "tools/call", new Entity("tool", tool), sample.Request.AgentId));
                Assert.True(decision.Allowed == found.Contains(tool), $"{subject.Id}/{sample.Request.AgentId}/{tool}: search {found.Contains(tool)}, evaluate {decision.Allowed}");
            }
        }
    }

    [Fact]
    public void SearchSubjects_ForSampledTools_ReturnsOnlyPermittedUsers()
    {
        var snapshot = _scenario.Snapshot;
        foreach (var sample in _scenario.File.Requests.Where(r => r.Expected && r.Request.AgentId is not null).Take(5))
        {
            var users = snapshot.SearchSubjects("user", "tools/call", sample.Request.Resource, sample.Request.AgentId);
            Assert.Contains(sample.Request.Subject.Id, users);
            foreach (var user in users)
                Assert.True(snapshot.Evaluate(new DecisionRequest(new Entity("user", user), "tools/call", sample.Request.Resource, sample.Request.AgentId)).Allowed);
        }
    }
}
