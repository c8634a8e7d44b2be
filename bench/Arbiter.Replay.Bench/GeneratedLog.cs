using Arbiter.DecisionLog;

namespace Arbiter.Replay.Bench;

/// <summary>
/// A decision log of <c>count</c> records made up page by page (nothing is held): the same mix of demo-tenant
/// decisions the replay test uses, one every 10 ms, newest first, with a continuation that is the next index. It
/// stands for a store's keyset paging so the bench measures the replay alone.
/// </summary>
internal sealed class GeneratedLog(int count, DateTimeOffset start) : IDecisionLogQuery
{
    public DateTimeOffset End => start.AddMilliseconds(10L * count);

    public Task<DecisionLogPage> QueryAsync(string tenantId, DecisionLogQuery query, string? continuation, int pageSize, CancellationToken cancellationToken = default)
    {
        var first = continuation is null ? 0 : int.Parse(continuation, System.Globalization.CultureInfo.InvariantCulture);
        var last = Math.Min(count, first + pageSize);
        var items = new DecisionRecord[last - first];
        for (var i = first; i < last; i++)
            items[i - first] = Record(tenantId, i);
        return Task.FromResult(new DecisionLogPage(items, last < count ? last.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private DecisionRecord Record(string tenant, int i)
    {
        var time = start.AddMilliseconds(10L * (count - i));
        var id = i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        return (i % 4) switch
        {
            0 => new(id, time, tenant, null, "user", "alice", "hr-assistant", "tools/call", "tool", "hr-policies", true, "principal", [], "", "", [], 1, 10, false, [], "hr-mcp"),
            1 => new(id, time, tenant, null, "user", "bob", "hr-assistant", "agent.invoke", "agent", "hr-assistant", false, "principal", [], "", "", [], 1, 10, false, []),
            2 => new(id, time, tenant, null, "user", "frank", "hr-assistant", "agent.invoke", "agent", "hr-assistant", true, "principal", [], "", "", [], 1, 10, false, []),
            _ => new(id, time, tenant, null, "agent", "recon-agent", "recon-agent", "data.read", "dataset", "ledger", true, "agentOnly", [], "", "", [], 1, 10, false, []),
        };
    }
}
