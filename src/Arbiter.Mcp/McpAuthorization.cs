using Arbiter.Client;

namespace Arbiter.Mcp;

/// <summary>
/// What Arbiter decided for the request a handler is running: who asked, the decisions, and the row filters the
/// handler must apply. Read it with <see cref="McpAuthorizationExtensions.GetArbiterAuthorization"/>.
/// </summary>
public sealed record McpAuthorization(McpCaller Caller, IReadOnlyList<AccessDecision> Decisions, IReadOnlyList<RowFilter> RowFilters, IReadOnlySet<string> RedactedFields);
