using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// How a decision's admin reason is held. <see cref="Text"/>: as a sentence. The others are the standard deny
/// sentences, every part of which is a member of the decision's request (and so of its log record): they are written
/// out only when read (<see cref="ReasonSentences.Deny"/>), and the decision log stores the form instead of the
/// sentence. Seven in ten of the benchmark's decisions are such denies, and each sentence names its user, agent and
/// tool, so it was a new string of ~100 characters per decision, written into the journal and the group's string table.
/// </summary>
public enum ReasonForm
{
    Text = 0,
    /// <summary>"deny: {subject type} '{subject}' is not entitled to '{action}' on {resource type} '{resource}'" (" acting directly" in direct mode).</summary>
    NotEntitled = 1,
    /// <summary>"deny: {subject type} '{subject}' may not invoke agent '{agent}'".</summary>
    MayNotInvoke = 2,
    /// <summary>"deny: agent '{agent}' holds no {mode} grant for '{action}' on {resource type} '{resource}'".</summary>
    NoGrant = 3,
}

/// <summary>The standard deny sentences, written in this one place for the engine's explanation and the log's records.</summary>
public static class ReasonSentences
{
    /// <summary>The sentence of <paramref name="form"/> (not <see cref="ReasonForm.Text"/>).</summary>
    public static string Deny(ReasonForm form, string subjectType, string subjectId, string? agentId, string action, string resourceType,
        string resourceId, string mode) => form switch
        {
            ReasonForm.MayNotInvoke => $"deny: {subjectType} '{subjectId}' may not invoke agent '{agentId}'",
            ReasonForm.NoGrant => $"deny: agent '{agentId}' holds no {mode} grant for '{action}' on {resourceType} '{resourceId}'",
            ReasonForm.NotEntitled => mode == Decision.DirectMode
                ? $"deny: {subjectType} '{subjectId}' is not entitled to '{action}' on {resourceType} '{resourceId}' acting directly"
                : $"deny: {subjectType} '{subjectId}' is not entitled to '{action}' on {resourceType} '{resourceId}'",
            _ => throw new ArgumentOutOfRangeException(nameof(form), form, "a reason held as text has no sentence to write"),
        };

    /// <summary>The agent a deny sentence names: the subject when it acts alone, the invoked agent for <c>agent.invoke</c>, else <c>context.agent</c>.</summary>
    public static string? AgentOf(string mode, DecisionRequest request) =>
        mode == Decision.AgentOnlyMode ? request.Subject.Id
        : request.Action == WellKnownActions.AgentInvoke ? request.Resource.Id
        : request.AgentId;

    /// <summary>Whether the forms that name an agent may be written from a record whose agent is <paramref name="recordedAgent"/>.</summary>
    public static bool NamesSameAgent(ReasonForm form, string mode, DecisionRequest request, string? recordedAgent) =>
        form is not (ReasonForm.MayNotInvoke or ReasonForm.NoGrant) || AgentOf(mode, request) == recordedAgent;
}
