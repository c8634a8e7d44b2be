using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance;

/// <summary>What an overdue review does to the agent when nobody answered it in time.</summary>
public enum OverdueAction
{
    /// <summary>Set <c>suspended: true</c> on the agent (reversible kill switch; the default).</summary>
    Suspend,

    /// <summary>Take back the drifted reach (see <see cref="Reviews.ReviewActions.RevokeAsync"/>).</summary>
    Revoke,
}

/// <summary>Ordered finding severities. A finding at or above <see cref="GovernanceOptions.ReviewSeverity"/> opens a review.</summary>
public enum FindingSeverity { Info = 0, Low = 1, Medium = 2, High = 3, Critical = 4 }

/// <summary>
/// Drift detection and recertification (section <c>Governance</c>). Secure by default: reviews open from
/// medium severity, are due in 14 days, and an unanswered review suspends the agent.
/// </summary>
public sealed partial class GovernanceOptions
{
    public const string Section = "Governance";

    /// <summary>Off switch for the timers and the change-feed consumer (the HTTP queries still answer).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Azure Storage queue that announces new review tasks (3-63 lowercase letters, digits, hyphens).</summary>
    public string ReviewQueue { get; set; } = "review-tasks";

    /// <summary>
    /// The configuration section of the queue client (Azure SDK client configuration: a connection string, or
    /// <c>serviceUri</c> with the process's credential). Unset: <c>Governance:Queue</c>, else <c>AzureWebJobsStorage</c>
    /// (see <see cref="GovernanceQueueConnection"/>).
    /// </summary>
    public string? QueueConnection { get; set; }

    /// <summary>Findings at or above this severity open (or join) the agent's review task.</summary>
    public FindingSeverity ReviewSeverity { get; set; } = FindingSeverity.Medium;

    /// <summary>Days a reviewer has before the task is overdue.</summary>
    public int ReviewDueDays { get; set; } = 14;

    /// <summary>Every this many days since an agent's last certification a review opens anyway; 0 turns periodic reviews off.</summary>
    public int PeriodicReviewDays { get; set; } = 90;

    /// <summary>What an overdue review does automatically.</summary>
    public OverdueAction OverdueAction { get; set; } = OverdueAction.Suspend;

    /// <summary>An agent not seen in a decision for this many days is flagged (needs an <see cref="Drift.IAgentActivity"/>); 0 = off.</summary>
    public int UnusedDays { get; set; } = 60;

    /// <summary>Grants whose <c>notAfter</c> falls within this many days are flagged as expiring.</summary>
    public int ExpiryWarningDays { get; set; } = 14;

    /// <summary>
    /// Principal-context reach is the union over the agent's users, evaluated once per class of users with the same
    /// groups (and attributes, when policies have conditions). Past this many classes the rest are not evaluated and
    /// the entitlements say <c>truncated: true</c>.
    /// </summary>
    public int MaxUserClasses { get; set; } = 5000;

    /// <summary>Severity per finding kind (keys from <see cref="Drift.FindingKinds"/>); unlisted kinds keep their defaults.</summary>
    public Dictionary<string, FindingSeverity> Severities { get; set; } = new(StringComparer.Ordinal);

    public FindingSeverity SeverityOf(string kind) =>
        Severities.TryGetValue(kind, out var s) ? s : Drift.FindingKinds.DefaultSeverity(kind);

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    internal static partial Regex QueueNamePattern();
}

internal sealed class GovernanceOptionsValidator : IValidateOptions<GovernanceOptions>
{
    public ValidateOptionsResult Validate(string? name, GovernanceOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.ReviewQueue) || !GovernanceOptions.QueueNamePattern().IsMatch(options.ReviewQueue))
            errors.Add($"Governance:ReviewQueue '{options.ReviewQueue}' is not a valid queue name (3-63 lowercase letters, digits and single hyphens)");
        if (!Enum.IsDefined(options.ReviewSeverity))
            errors.Add("Governance:ReviewSeverity must be one of Info, Low, Medium, High, Critical");
        if (!Enum.IsDefined(options.OverdueAction))
            errors.Add("Governance:OverdueAction must be Suspend or Revoke");
        if (options.ReviewDueDays is < 1 or > 365)
            errors.Add("Governance:ReviewDueDays must be between 1 and 365");
        if (options.PeriodicReviewDays is < 0 or > 3650)
            errors.Add("Governance:PeriodicReviewDays must be between 0 (off) and 3650");
        if (options.UnusedDays is < 0 or > 3650)
            errors.Add("Governance:UnusedDays must be between 0 (off) and 3650");
        if (options.ExpiryWarningDays is < 0 or > 365)
            errors.Add("Governance:ExpiryWarningDays must be between 0 and 365");
        if (options.MaxUserClasses < 1)
            errors.Add("Governance:MaxUserClasses must be at least 1");
        foreach (var (kind, severity) in options.Severities)
        {
            if (!Drift.FindingKinds.All.Contains(kind))
                errors.Add($"Governance:Severities:{kind} is not a finding kind (expected one of {string.Join(", ", Drift.FindingKinds.All)})");
            else if (!Enum.IsDefined(severity))
                errors.Add($"Governance:Severities:{kind} is not a severity");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
