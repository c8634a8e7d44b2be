namespace Arbiter.Store.Cosmos;

/// <summary>How <see cref="CosmosChangeFeed"/> reads changes (<c>Cosmos:ChangeFeedMode</c>).</summary>
public enum CosmosChangeFeedMode
{
    /// <summary>The SDK change feed (pull model); for a loopback endpoint, probe once and fall back to polling when it has none.</summary>
    Auto,

    /// <summary>Always the SDK change feed (pull model, latest version, per-tenant feed range).</summary>
    ChangeFeed,

    /// <summary>Always the polling fallback: queries on <c>_ts</c> with an overlap window, deduplicated by ETag.</summary>
    Polling,
}
