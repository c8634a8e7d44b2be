namespace Arbiter.DecisionLog;

/// <summary><c>DecisionLog:Durability</c>: what "logged" means when a decision is answered.</summary>
public enum DecisionLogDurability
{
    /// <summary>
    /// The default. Each record is written to the local journal (one write() into the kernel's page cache) before the
    /// decision's answer leaves, and fsync'd right behind it by a background thread (one fsync for everything written
    /// since the previous one, at most every <c>JournalSyncInterval</c>). A crash of the process (kill -9, an unhandled exception, an
    /// out-of-memory kill) at any moment loses no answered decision: the kernel still writes what the process wrote,
    /// and the next start sends what the journal holds to the sink. Only a crash of the machine itself (power loss, a
    /// kernel panic) can lose what was not yet fsync'd, at most <c>JournalSyncInterval</c> plus one fsync of traffic, on a disk that
    /// survives it at all (a Functions instance's local disk does not).
    /// </summary>
    Journal,

    /// <summary>
    /// Opt-in, slower: each record is fsync'd before its decision's answer leaves (group commit: the answers of every record
    /// written during one fsync wait for the next one). Also survives the machine's crash, where the journal's disk
    /// survives it (a self-hosted server on a persistent disk). Costs about an fsync of latency per decision.
    /// </summary>
    JournalFsync,

    /// <summary>
    /// Opt-in, faster: records wait in memory (and spill to disk when memory is full) and the answer does not wait.
    /// Loss window: a crash loses what was in memory — up to <c>Capacity</c> records, in practice the last
    /// <c>FlushInterval</c> of traffic (more while the sink is slow) — and a dead process cannot count them.
    /// </summary>
    Memory,
}
