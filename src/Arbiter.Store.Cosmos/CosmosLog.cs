using Microsoft.Extensions.Logging;

namespace Arbiter.Store.Cosmos;

/// <summary>Cosmos DB store log events (ids 3101-3199).</summary>
internal static partial class CosmosLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Cosmos DB store operation failed ({ErrorType}); reporting the store unavailable")]
    public static partial void Unavailable(ILogger logger, string errorType, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Cosmos DB database {Database} and containers ensured")]
    public static partial void ContainersReady(ILogger logger, string database);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Cosmos DB change feed mode: {Mode} ({Reason})")]
    public static partial void FeedMode(ILogger logger, CosmosChangeFeedMode mode, string reason);
}
