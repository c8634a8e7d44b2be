using System.Text.Json;
using System.Text.Json.Serialization;
using Arbiter.Governance.Entitlements;

namespace Arbiter.Governance;

/// <summary>The <c>baseline</c> document (id = agent id): the entitlements someone certified, and when.</summary>
public sealed record BaselineRecord
{
    public required string AgentId { get; init; }
    public required AgentEntitlements Entitlements { get; init; }
    public required string ApprovedBy { get; init; }
    public required DateTimeOffset ApprovedAt { get; init; }

    /// <summary><c>registration</c> (first time the agent was seen), <c>review</c> (a reviewer approved a task) or <c>admin</c>.</summary>
    public required string Reason { get; init; }

    public string? TaskId { get; init; }

    /// <summary>When a review of this agent last closed (any outcome); periodic reviews count from the later of this and <see cref="ApprovedAt"/>.</summary>
    public DateTimeOffset? LastReviewedAt { get; init; }

    /// <summary>State findings (orphaned, expired grant, unused, ...) the approver accepted as they were; not raised again until the next approval.</summary>
    public IReadOnlyList<string> AcceptedFindings { get; init; } = [];
}

public static class FindingStates
{
    public const string Open = "open";
    public const string Resolved = "resolved";
}

/// <summary>The <c>finding</c> document. Id = hash(agent, kind, subject): the same drift is one document, updated.</summary>
public sealed record FindingRecord
{
    public required string Id { get; init; }
    public required string AgentId { get; init; }
    public string? Owner { get; init; }
    public required string Kind { get; init; }

    /// <summary>What the finding is about: a tool/server/data id, a group id, <c>owner:{id}</c>, a policy id, a level.</summary>
    public required string Subject { get; init; }

    public required string Severity { get; init; }
    public required string State { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public string? Resolution { get; init; }
    public required string Detail { get; init; }
    public string? TaskId { get; init; }
}

public static class ReviewStates
{
    public const string Open = "open";
    public const string Approved = "approved";
    public const string Revoked = "revoked";
    public const string Suspended = "suspended";
    public const string Expired = "expired";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Open, Approved, Revoked, Suspended, Expired };
}

public sealed record ReviewHistoryEntry(DateTimeOffset At, string By, string Action, string Note);

/// <summary>The <c>reviewTask</c> document: one open task per agent; new findings join it.</summary>
public sealed record ReviewTaskRecord
{
    public required string Id { get; init; }
    public required string AgentId { get; init; }
    public string? AgentName { get; init; }
    public string? Owner { get; init; }
    public required IReadOnlyList<string> Reviewers { get; init; }

    /// <summary><c>drift</c> (findings opened it) or <c>periodic</c> (the recertification timer did).</summary>
    public required string Reason { get; init; }

    public required string State { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public IReadOnlyList<string> Findings { get; init; } = [];
    public required EntitlementDiff Diff { get; init; }
    public DateTimeOffset? AnnouncedAt { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public string? ClosedBy { get; init; }
    public IReadOnlyList<ReviewHistoryEntry> History { get; init; } = [];
}

/// <summary>The queue message that announces a task (small: notification pipelines read the task through the API).</summary>
public sealed record ReviewMessage(string TenantId, string TaskId, string AgentId, IReadOnlyList<string> Reviewers, DateTimeOffset DueAt, string Reason, int Findings);

/// <summary>The drift detector's persisted change-feed position (<c>syncState</c> id <c>governance:drift</c>).</summary>
public sealed record DriftCursor(string Cursor, DateTimeOffset UpdatedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BaselineRecord))]
[JsonSerializable(typeof(FindingRecord))]
[JsonSerializable(typeof(ReviewTaskRecord))]
[JsonSerializable(typeof(ReviewMessage))]
[JsonSerializable(typeof(DriftCursor))]
[JsonSerializable(typeof(AgentEntitlements))]
[JsonSerializable(typeof(EntitlementDiff))]
[JsonSerializable(typeof(List<FindingRecord>))]
[JsonSerializable(typeof(List<ReviewTaskRecord>))]
[JsonSerializable(typeof(ItemsDto<FindingRecord>))]
[JsonSerializable(typeof(ItemsDto<ReviewTaskRecord>))]
[JsonSerializable(typeof(EntitlementsDto))]
[JsonSerializable(typeof(DriftRunDto))]
[JsonSerializable(typeof(ReviewCommentDto))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class GovernanceJsonContext : JsonSerializerContext;

/// <summary>Typed reads and writes of governance documents through the store.</summary>
internal static class GovernanceDocuments
{
    public static JsonElement ToElement<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.SerializeToElement(value, info);

    public static T? Read<T>(Store.StoredDocument? document, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class
    {
        if (document is null || document.Deleted)
            return null;
        try
        {
            return document.Body.Deserialize(info);
        }
        catch (JsonException)
        {
            return null; // a hand-edited or foreign document: treated as absent, rewritten by the next run
        }
    }

    /// <summary>Every live document of a kind (governance kinds are small: one per agent, finding or task).</summary>
    public static async Task<List<(Store.StoredDocument Document, T Record)>> ListAsync<T>(Store.IDocumentStore store, string tenant, string kind,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, CancellationToken cancellationToken)
        where T : class
    {
        var result = new List<(Store.StoredDocument, T)>();
        await foreach (var document in Store.DocumentStoreExtensions.ListAllAsync(store, tenant, kind, 1000, cancellationToken))
        {
            if (Read(document, info) is { } record)
                result.Add((document, record));
        }
        return result;
    }
}
