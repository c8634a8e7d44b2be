using Arbiter.Api;
using Arbiter.Governance;
using Arbiter.Governance.Reviews;
using Arbiter.Review;

namespace Arbiter.Server;

/// <summary>
/// Drift detection and recertification on the self-hosted server: on when the storage queue that announces review tasks
/// is configured (<c>Governance:Queue</c>, see <see cref="GovernanceQueueConnection"/>), off otherwise. The HTTP routes
/// run here, and drift on request or on <see cref="GovernanceSchedule"/> when <c>Governance:Schedule:DriftSeconds</c> is
/// set; the other timers live in the Functions app.
/// </summary>
public static partial class ServerGovernance
{
    /// <summary>Registers governance when its queue connection is configured.</summary>
    public static void AddWhenQueued(WebApplicationBuilder builder)
    {
        if (MissingConnection(builder.Configuration) is null)
        {
            builder.AddArbiterGovernanceApi();
            builder.Services.AddOptions<GovernanceScheduleOptions>().Bind(builder.Configuration.GetSection(GovernanceScheduleOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddHostedService<GovernanceSchedule>();
            builder.AddArbiterReview();
        }
    }

    /// <summary>Maps the governance routes when they were registered, otherwise says once that governance is off and why.</summary>
    public static void Map(WebApplication app)
    {
        if (app.Services.GetService<ReviewActions>() is null)
        {
            LogOff(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arbiter.Governance"), MissingConnection(app.Configuration)!);
            return;
        }
        app.MapGovernanceEndpoints();
        app.MapArbiterReview();
    }

    /// <summary>Null when the queue connection is configured, else the name of the setting to set.</summary>
    private static string? MissingConnection(IConfiguration configuration) =>
        GovernanceQueueConnection.Find(configuration) is null ? GovernanceQueueConnection.Expected(configuration) : null;

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning,
        Message = "Governance is off: review tasks are announced on an Azure Storage queue and '{Connection}' is not configured. Set it (a connection string, or '{Connection}:serviceUri' with the app's identity) to turn drift detection and the manage/v1/governance routes on")]
    private static partial void LogOff(ILogger logger, string connection);
}
