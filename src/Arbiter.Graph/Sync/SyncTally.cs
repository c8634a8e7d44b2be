namespace Arbiter.Graph.Sync;

/// <summary>Counters of one resource during a run, safe to bump from parallel writers.</summary>
internal sealed class SyncTally
{
    private int _upserted;
    private int _unchanged;
    private int _deleted;
    private int _disabled;

    public int Pages { get; set; }
    public int Items { get; set; }

    public void Add(WriteOutcome outcome)
    {
        switch (outcome)
        {
            case WriteOutcome.Written: Interlocked.Increment(ref _upserted); break;
            case WriteOutcome.Deleted: Interlocked.Increment(ref _deleted); break;
            default: Interlocked.Increment(ref _unchanged); break;
        }
    }

    public void AddAll(IEnumerable<WriteOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            Add(outcome);
        }
    }

    public void AddDisabled() => Interlocked.Increment(ref _disabled);

    public SyncCounts ToCounts(string mode) => new(Pages, _upserted, _unchanged, _deleted, _disabled, mode);
}
