namespace Arbiter.Governance.Drift;

/// <summary>
/// When an agent last appeared in a decision. The seam to the decision log: the host registers an implementation
/// over it; without one (<see cref="NullAgentActivity"/>) no agent is ever flagged as unused.
/// </summary>
public interface IAgentActivity
{
    /// <summary>The time of the agent's last decision, or null when unknown (never an "unused" finding then).</summary>
    ValueTask<DateTimeOffset?> LastSeenAsync(string tenantId, string agentId, CancellationToken cancellationToken);
}

/// <summary>Knows nothing: unused-agent detection stays off.</summary>
public sealed class NullAgentActivity : IAgentActivity
{
    public ValueTask<DateTimeOffset?> LastSeenAsync(string tenantId, string agentId, CancellationToken cancellationToken) => ValueTask.FromResult<DateTimeOffset?>(null);
}
