using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>What shadow policies would have done: evaluated and logged, never enforced.</summary>
public sealed record ShadowResult(bool Decision, bool WouldChange, IReadOnlyList<string> Policies);
