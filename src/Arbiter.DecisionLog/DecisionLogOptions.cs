using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog;

/// <summary>The decision log (configuration section <c>DecisionLog</c>). On by default: every decision is recorded.</summary>
public sealed class DecisionLogOptions
{
    public const string SectionName = "DecisionLog";

    /// <summary><c>DecisionLog:Enabled</c>: off only for hosts that must not record decisions (then <see cref="DecisionLogger.TryLog"/> returns false).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// <c>DecisionLog:Durability</c>: <c>Journal</c> (default: a decision's answer leaves once its record is written to the
    /// local journal, fsync'd right behind, so a crash of the process loses no answered decision), <c>JournalFsync</c>
    /// (opt-in: the answer waits for the fsync too, so a crash of the machine loses none either) or <c>Memory</c> (opt-in:
    /// faster, and a crash loses what was still in memory — see <see cref="DecisionLogDurability"/>).
    /// </summary>
    public DecisionLogDurability Durability { get; set; } = DecisionLogDurability.Journal;

    /// <summary>
    /// <c>DecisionLog:JournalSegmentBytes</c>: a journal segment is closed at this size, and deleted once the sink has all
    /// of it; so, with a healthy sink, the journal holds about this much.
    /// </summary>
    public long JournalSegmentBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// <c>DecisionLog:JournalSyncInterval</c> (<c>Journal</c> only): the journal's fsyncs run behind the answers at most
    /// once per this interval, each covering everything written since the last one. Longer: less kernel CPU per decision
    /// (an fsync costs ~0.2 ms of it here); shorter: a smaller window a machine crash can lose. Zero: back to back.
    /// <c>JournalFsync</c> ignores it (each answer waits for the next fsync, so they run back to back).
    /// </summary>
    public TimeSpan JournalSyncInterval { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary><c>DecisionLog:Capacity</c>: records held in memory between the decision path and the store. Past it, records spill to disk.</summary>
    public int Capacity { get; set; } = 100_000;

    /// <summary>
    /// <c>DecisionLog:BatchSize</c>: records per store write. 2,000 rather than fewer: every write is one transaction (one
    /// fsync on SQLite) whatever its size, and a write of two 1,000-record groups encodes them on two threads; at 250,000
    /// decisions/s that is 125 writes a second. A partial batch still goes after <see cref="FlushInterval"/>.
    /// </summary>
    public int BatchSize { get; set; } = 2_000;

    /// <summary>
    /// <c>DecisionLog:MaxBacklog</c> (journal modes): records in the journal not yet stored above which an answer waits,
    /// after its record is written, until the flusher has stored enough to be under it again (at most
    /// <see cref="MaxBacklogWait"/>). The decision rate then follows what the log stores instead of running ahead of it:
    /// a backlog costs memory (the records are kept for the flusher), then reading them back from the journal file, and
    /// copying them through the garbage collector's generations. Never while the sink is failing: then the journal is
    /// the buffer it exists to be. 0: answers never wait for the store. 20,000 (ten batches): the flusher always has its
    /// next batch waiting, and the records it keeps are few enough that they die young (a bound of 100,000 doubled the
    /// GC's pauses in the batch benchmark: 0.15 against 0.065 s a second).
    /// </summary>
    public int MaxBacklog { get; set; } = 20_000;

    /// <summary><c>DecisionLog:MaxBacklogWait</c>: the longest an answer waits for the backlog (see <see cref="MaxBacklog"/>); then it goes anyway.</summary>
    public TimeSpan MaxBacklogWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>DecisionLog:FlushInterval</c>: a partial batch is written at most this long after its first record arrived.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <c>DecisionLog:SpillDirectory</c>: the local directory of the journal and of the spill (JSON lines): where records
    /// wait until the store has them.
    /// Spilled records are drained into whatever store the process writes to, so a spill directory must belong to one
    /// store. Left empty, the sink derives it from its store (<see cref="SpillDirectoryFor"/>): two deployments on one
    /// machine (a benchmark server and the demo, two tenants' hosts) never drain each other's records.
    /// </summary>
    public string SpillDirectory { get; set; } = "";

    /// <summary>The default spill directory of a store: under the temp folder, named by a hash of what identifies the store.</summary>
    public static string SpillDirectoryFor(string storeIdentity)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(storeIdentity)))[..16];
        return Path.Combine(Path.GetTempPath(), "arbiter", "decision-spill", hash);
    }

    /// <summary><c>DecisionLog:RetentionDays</c>: records older than this are deleted (SQLite pruning, Cosmos DB item TTL).</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// <c>DecisionLog:Buckets</c>: partitions per tenant per hour. Raising it is safe; lowering it hides records written in the
    /// higher buckets from queries until they expire, so never lower it within the retention period.
    /// </summary>
    public int Buckets { get; set; } = 8;

    /// <summary><c>DecisionLog:MaxAttempts</c>: store attempts for a batch before it is spilled to disk for a later retry.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary><c>DecisionLog:RetryBaseDelay</c>: first backoff after a failed write; doubles per attempt (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary><c>DecisionLog:RetryMaxDelay</c>.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>DecisionLog:SpillDrainInterval</c>: how often the flusher tries to move spilled records back into the store.</summary>
    public TimeSpan SpillDrainInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>DecisionLog:ShutdownTimeout</c>: how long stopping may spend writing what is queued and spilled. What remains stays on disk.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary><c>DecisionLog:PruneInterval</c>: how often sinks that prune (SQLite) delete expired records.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan Retention => TimeSpan.FromDays(RetentionDays);
}

internal sealed class DecisionLogOptionsValidator : IValidateOptions<DecisionLogOptions>
{
    public ValidateOptionsResult Validate(string? name, DecisionLogOptions o)
    {
        var failures = new List<string>();
        if (o.Capacity is < 1 or > 10_000_000)
        {
            failures.Add("DecisionLog:Capacity must be between 1 and 10,000,000.");
        }

        if (o.BatchSize < 1 || o.BatchSize > 10_000 || o.BatchSize > o.Capacity)
        {
            failures.Add("DecisionLog:BatchSize must be between 1 and 10,000 and not above Capacity.");
        }

        if (o.MaxBacklog != 0 && (o.MaxBacklog < o.BatchSize || o.MaxBacklog > 10_000_000))
        {
            failures.Add("DecisionLog:MaxBacklog must be 0 (off) or between BatchSize and 10,000,000.");
        }

        if (o.MaxBacklogWait < TimeSpan.Zero || o.MaxBacklogWait > TimeSpan.FromMinutes(1))
        {
            failures.Add("DecisionLog:MaxBacklogWait must be between 00:00:00 and 00:01:00.");
        }

        if (o.FlushInterval <= TimeSpan.Zero || o.FlushInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add("DecisionLog:FlushInterval must be between 0 and 5 minutes.");
        }

        if (string.IsNullOrWhiteSpace(o.SpillDirectory))
        {
            failures.Add("DecisionLog:SpillDirectory is required (records spill there rather than being dropped).");
        }
        else if (File.Exists(o.SpillDirectory))
        {
            failures.Add($"DecisionLog:SpillDirectory '{o.SpillDirectory}' is a file; give a folder.");
        }

        if (!Enum.IsDefined(o.Durability))
        {
            failures.Add("DecisionLog:Durability must be Journal, JournalFsync or Memory.");
        }

        if (o.JournalSyncInterval < TimeSpan.Zero || o.JournalSyncInterval > TimeSpan.FromSeconds(1))
        {
            failures.Add("DecisionLog:JournalSyncInterval must be between 00:00:00 and 00:00:01.");
        }

        if (o.JournalSegmentBytes is < 4096 or > 1L << 30)
        {
            failures.Add("DecisionLog:JournalSegmentBytes must be between 4,096 and 1,073,741,824.");
        }

        if (o.RetentionDays is < 1 or > 3650)
        {
            failures.Add("DecisionLog:RetentionDays must be between 1 and 3650.");
        }

        if (o.Buckets is < 1 or > 64)
        {
            failures.Add("DecisionLog:Buckets must be between 1 and 64.");
        }

        if (o.MaxAttempts is < 1 or > 100)
        {
            failures.Add("DecisionLog:MaxAttempts must be between 1 and 100.");
        }

        if (o.RetryBaseDelay < TimeSpan.Zero || o.RetryMaxDelay < o.RetryBaseDelay)
        {
            failures.Add("DecisionLog:RetryBaseDelay must not be negative nor above RetryMaxDelay.");
        }

        if (o.SpillDrainInterval <= TimeSpan.Zero)
        {
            failures.Add("DecisionLog:SpillDrainInterval must be positive.");
        }

        if (o.ShutdownTimeout <= TimeSpan.Zero || o.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("DecisionLog:ShutdownTimeout must be between 0 and 10 minutes.");
        }

        if (o.PruneInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("DecisionLog:PruneInterval must be at least 1 second.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
