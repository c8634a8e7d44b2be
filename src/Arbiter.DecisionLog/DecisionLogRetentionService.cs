using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbiter.DecisionLog;

/// <summary>
/// Runs the sink's pruning (<see cref="IDecisionLogRetention"/>) every <c>DecisionLog:PruneInterval</c>; idle for sinks
/// that expire records themselves. Logs each run (event <see cref="PrunedEventId"/>).
/// </summary>
internal sealed partial class DecisionLogRetentionService(
    IServiceProvider services, IOptions<DecisionLogOptions> options, TimeProvider time, ILogger<DecisionLogRetentionService> logger) : BackgroundService
{
    public const int PrunedEventId = 6030;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<IDecisionLogSink>() is not IDecisionLogRetention retention)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        do
        {
            try
            {
                var deleted = await retention.PruneAsync(stoppingToken);
                LogPruned(logger, deleted, options.Value.RetentionDays);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next tick tries again; pruning late is harmless.
                LogPruneFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Decision log: pruned {Count} record(s) older than {Days} days")]
    private static partial void LogPruned(ILogger logger, long count, int days);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Warning, Message = "Decision log: pruning failed; retrying at the next interval")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
