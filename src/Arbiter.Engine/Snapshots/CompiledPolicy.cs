using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Arbiter.Engine.Conditions;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// What a request's resource is, resolved from the directory (request-supplied properties never override it), with
/// the ordinals the index matches on (<see cref="Candidate.MatchesResource"/>; -1 where no policy names the id or server).
/// </summary>
internal readonly record struct ResourceView(
    string Type,
    string Id,
    string? Server,
    Sensitivity Sensitivity,
    FrozenSet<string> Tags,
    IReadOnlyDictionary<string, object?> Attributes)
{
    public int TypeBit { get; init; }
    public int Ordinal { get; init; } = -1;
    public int ServerOrdinal { get; init; } = -1;
}

/// <summary>A policy ready to evaluate: its condition compiled once and cached per policy instance.</summary>
internal sealed class CompiledPolicy
{
    private static readonly ConditionalWeakTable<Policy, CompiledPolicy> Cache = [];

    private CompiledPolicy(Policy policy)
    {
        Policy = policy;
        Id = policy.Id;
        Obligations = policy.Obligations;
        Kind = (policy.Effect, policy.Status == PolicyStatus.Shadow) switch
        {
            (Effect.Permit, false) => MatchKind.Permit,
            (Effect.Permit, true) => MatchKind.ShadowPermit,
            (Effect.Forbid, false) => MatchKind.Forbid,
            _ => MatchKind.ShadowForbid,
        };
        if (policy.Condition is not null)
            ConditionError = ConditionCompiler.TryCompile(policy.Condition, out Condition);
    }

    public Policy Policy { get; }

    /// <summary>
    /// The policy's id and obligations, held here too: an explanation lists the ids of every decision's matches and
    /// merges a permit's obligations, and reading them through <see cref="Policy"/> followed a second reference per
    /// match, to an object the evaluation never touched (<see cref="MatchList.Add"/> asks for this one's line).
    /// </summary>
    public readonly string Id;

    /// <inheritdoc cref="Id"/>
    public readonly IReadOnlyList<Obligation> Obligations;

    /// <summary>The compiled condition; null when the policy has none, or when it has one that does not compile.</summary>
    public readonly ConditionProgram? Condition;

    /// <summary>Why a stored policy's condition does not compile (it was written under other rules); the policy then fails closed.</summary>
    public string? ConditionError { get; }

    /// <summary>How a match of this policy counts (effect, and whether it is only shadowed).</summary>
    public MatchKind Kind { get; }

    public static CompiledPolicy For(Policy policy) => Cache.GetValue(policy, p => new CompiledPolicy(p));
}
