using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>
/// One leg of a decision. Principal context has three: the user may invoke the agent (<c>user-invokes-agent</c>), the
/// agent holds a grant (<c>agent-grant</c>), the user is entitled (<c>user-entitlement</c>). Agent-only has the agent
/// grant and the owner's forbids (<c>owner-forbids</c>).
/// </summary>
public sealed record LegResult(
    string Name,
    bool Satisfied,
    IReadOnlyList<string> Permits,
    IReadOnlyList<string> Forbids,
    IReadOnlyList<string> Notes);
