using System.Diagnostics;
using System.Diagnostics.Metrics;
using Arbiter.Runtime.Snapshots;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Runtime.Telemetry;

/// <summary>
/// Traces (ActivitySource "Arbiter") and metrics (Meter "Arbiter.Decisions"): decisions by outcome, mode and reason code,
/// decision latency, snapshot age per tenant (docs/telemetry.md). The decision log adds Meter "Arbiter.DecisionLog" (queue depth, written, lost).
/// Never records subjects, resources or reasons as tags: they are unbounded and may be personal data.
/// </summary>
public sealed class ArbiterTelemetry : IDisposable
{
    public const string SourceName = "Arbiter";
    public const string MeterName = "Arbiter.Decisions";

    public static readonly ActivitySource Source = new(SourceName);

    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _latency;

    public ArbiterTelemetry(IMeterFactory meters, TenantSnapshots snapshots)
    {
        _meter = meters.Create(MeterName);
        _decisions = _meter.CreateCounter<long>("arbiter.decisions", description: "Decisions answered, by outcome and mode");
        _latency = _meter.CreateHistogram<double>("arbiter.decision.duration", unit: "us", description: "Time to evaluate one decision");
        _meter.CreateObservableGauge("arbiter.snapshot.age", () => snapshots.Status()
            .Select(s => new Measurement<double>(s.AgeSeconds, new KeyValuePair<string, object?>("stale", s.Stale))), unit: "s",
            description: "Seconds since each tenant's snapshot last read the store (-1: never)");
    }

    public void Record(Decision decision, TimeSpan latency)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", decision.Allowed ? "permit" : "deny");
        var mode = new KeyValuePair<string, object?>("mode", decision.Mode);
        var reason = new KeyValuePair<string, object?>("reason", ReasonCode(decision.ReasonUser));
        _decisions.Add(1, outcome, mode, reason);
        _latency.Record(latency.TotalMicroseconds, outcome);
    }

    /// <summary>
    /// The user-facing reason is one of a few fixed sentences, so it maps to a bounded tag (a dashboard's "denials by
    /// reason"); the admin reason names policies and entities and never becomes a tag.
    /// </summary>
    public static string ReasonCode(string reasonUser) => reasonUser switch
    {
        PolicySnapshot.UserReasons.Permitted => "permitted",
        PolicySnapshot.UserReasons.Denied => "no-grant",
        PolicySnapshot.UserReasons.Forbidden => "forbidden",
        PolicySnapshot.UserReasons.NoAgentAccess => "no-agent-access",
        PolicySnapshot.UserReasons.AgentNotPermitted => "agent-not-permitted",
        PolicySnapshot.UserReasons.UserNotPermitted => "user-not-permitted",
        PolicySnapshot.UserReasons.Error => "error",
        _ => "other",
    };

    public void Dispose() => _meter.Dispose();
}
