using System.Runtime.CompilerServices;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>What a request's resource is, resolved from the directory (request-supplied properties never override it).</summary>
internal readonly record struct ResourceView(
    string Type,
    string Id,
    string? Server,
    Sensitivity Sensitivity,
    IReadOnlySet<string> Tags,
    IReadOnlyDictionary<string, object?> Attributes);

/// <summary>A policy ready to evaluate: its condition compiled once and cached per policy instance.</summary>
internal sealed class CompiledPolicy
{
    private static readonly ConditionalWeakTable<Policy, CompiledPolicy> Cache = [];

    private CompiledPolicy(Policy policy)
    {
        Policy = policy;
        if (policy.Condition is not null)
            ConditionCompiler.TryCompile(policy.Condition, out Condition);
    }

    public Policy Policy { get; }

    public readonly Func<IDictionary<string, object?>, object?>? Condition;

    public bool IsShadow => Policy.Status == PolicyStatus.Shadow;

    public static CompiledPolicy For(Policy policy) => Cache.GetValue(policy, p => new CompiledPolicy(p));

    public bool MatchesResource(in ResourceView resource) =>
        Policy.Resources is not { } selector || selector.Matches(resource.Type, resource.Id, resource.Server, resource.Sensitivity, resource.Tags);

    /// <summary>A user policy's "through which agents" restriction; grants to agents are matched when indexed.</summary>
    public bool AllowsAgent(AgentFact? agent) =>
        Policy.Agents is null || (agent is not null && Policy.Agents.Matches(agent.Id, agent.Tags, agent.BlueprintId));
}
