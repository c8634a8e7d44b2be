namespace Arbiter.DecisionLog;

/// <summary><c>DecisionLog:Durability</c>: what "logged" means when a decision is answered.</summary>
public enum DecisionLogDurability
{
    /// <summary>
    /// The default. Each record is in the local journal, fsync'd, before the decision's answer leaves: a crash (kill -9,
    /// power loss) at any moment loses no answered decision; the next start sends what the journal holds to the sink.
    /// </summary>
    Journal,

    /// <summary>
    /// Opt-in, faster: records wait in memory (and spill to disk when memory is full) and the answer does not wait.
    /// Loss window: a crash loses what was in memory — up to <c>Capacity</c> records, in practice the last
    /// <c>FlushInterval</c> of traffic (more while the sink is slow) — and a dead process cannot count them.
    /// </summary>
    Memory,
}
