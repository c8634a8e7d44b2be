using Arbiter.Client;

namespace Arbiter.Mcp;

/// <summary>Per item of a list, may the caller use it; <see cref="Outage"/> set when Arbiter could not decide (the whole list fails closed).</summary>
public sealed record McpListDecision(IReadOnlyList<bool> Allowed, AccessDecision? Outage);
