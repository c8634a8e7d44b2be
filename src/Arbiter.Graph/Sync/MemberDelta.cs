namespace Arbiter.Graph.Sync;

/// <summary>One entry of <c>members@delta</c>: an addition, or a removal when <c>@removed</c> is present.</summary>
internal readonly record struct MemberDelta(string Id, bool IsGroup, bool Removed);
