using Arbiter.Client;

namespace Arbiter.Mcp;

/// <summary>
/// The outcome of deciding a tool call: refused (<see cref="Refusal"/> set: a policy's deny or an obligation that cannot
/// be honoured), unavailable (<see cref="Outage"/>: Arbiter could not decide, fail closed), or permitted with the row
/// filters to apply and the fields to redact.
/// </summary>
public sealed record McpCallDecision(AccessDecision? Refusal, bool Outage, IReadOnlyList<AccessDecision> Decisions, IReadOnlyList<RowFilter> RowFilters, IReadOnlySet<string> RedactedFields)
{
    public bool Permitted => Refusal is null;

    internal static McpCallDecision Refused(AccessDecision decision) => new(decision, false, [decision], [], new HashSet<string>());

    internal static McpCallDecision Unavailable(AccessDecision decision) => new(decision, true, [decision], [], new HashSet<string>());
}
