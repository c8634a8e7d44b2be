using System.Text;
using System.Text.Json;
using Arbiter.Store;
using Microsoft.Extensions.Logging;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// Called by the queue-triggered function for each announcement: records on the task that the notification was
/// delivered (idempotent: a repeated message changes nothing). A message that can never be processed (not ours, or
/// the task is gone) is logged and dropped rather than retried into the poison queue.
/// </summary>
public sealed partial class ReviewDelivery(IDocumentStore store, TimeProvider time, ILogger<ReviewDelivery> logger)
{
    /// <summary>True when the task was marked delivered (now or before); false for a message that names no task.</summary>
    public async Task<bool> RecordAsync(string queueMessage, CancellationToken cancellationToken)
    {
        var message = Parse(queueMessage);
        if (message is null || string.IsNullOrEmpty(message.TenantId) || string.IsNullOrEmpty(message.TaskId))
        {
            LogMalformed(logger);
            return false;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var document = await store.GetAsync(message.TenantId, DocumentKinds.ReviewTask, message.TaskId, cancellationToken: cancellationToken);
            var task = GovernanceDocuments.Read(document, GovernanceJsonContext.Default.ReviewTaskRecord);
            if (task is null)
            {
                LogUnknownTask(logger, message.TenantId, message.TaskId);
                return false;
            }
            if (task.DeliveredAt is not null)
                return true;
            var now = time.GetUtcNow();
            var delivered = task with
            {
                DeliveredAt = now,
                History = [.. task.History, new ReviewHistoryEntry(now, ReviewTasks.System, "deliver", "the announcement was delivered to the notification pipeline")],
            };
            try
            {
                await store.PutAsync(message.TenantId, DocumentKinds.ReviewTask, task.Id, GovernanceDocuments.ToElement(delivered, GovernanceJsonContext.Default.ReviewTaskRecord), document!.ETag, cancellationToken);
                return true;
            }
            catch (PreconditionFailedException)
            {
                // the task changed meanwhile (announced, answered): read again
            }
        }
        throw new StoreException($"review task '{message.TaskId}' kept changing; the message will be retried");
    }

    private static ReviewMessage? Parse(string text)
    {
        foreach (var candidate in new[] { text, TryBase64(text) })
        {
            if (candidate is null)
                continue;
            try
            {
                return JsonSerializer.Deserialize(candidate, GovernanceJsonContext.Default.ReviewMessage);
            }
            catch (JsonException)
            {
                // try the next form
            }
        }
        return null;
    }

    private static string? TryBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) ? Encoding.UTF8.GetString(buffer, 0, written) : null;
    }

    [LoggerMessage(EventId = 9050, Level = LogLevel.Warning, Message = "A review-queue message was not a review announcement; dropped")]
    private static partial void LogMalformed(ILogger logger);

    [LoggerMessage(EventId = 9051, Level = LogLevel.Warning, Message = "A review-queue message names task {TaskId} of tenant {TenantId}, which does not exist; dropped")]
    private static partial void LogUnknownTask(ILogger logger, string tenantId, string taskId);
}
