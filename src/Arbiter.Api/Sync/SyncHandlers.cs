using System.Text.Json.Serialization;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Graph.Sync;
using Microsoft.AspNetCore.Http;

namespace Arbiter.Api.Sync;

/// <summary>Run-now and status of the Entra ID sync for the caller's tenant (admin role).</summary>
public sealed class SyncHandlers(EntraSyncService sync)
{
    public const string RunRoute = "manage/v1/sync/run";
    public const string StatusRoute = "manage/v1/sync/status";

    public async Task<IResult> RunAsync(Caller caller, CancellationToken cancellationToken)
    {
        var progress = new List<SyncProgress>();
        var result = await sync.SyncTenantAsync(caller.TenantId, new SynchronousProgress(progress), cancellationToken);
        if (result.Outcome == SyncOutcome.AlreadyRunning)
            return Problems.Conflict($"a sync of tenant '{caller.TenantId}' is already running");
        var dto = new SyncRunDto(result, progress.Where(p => p.Phase is "completed" or "failed").ToList());
        return TypedResults.Json(dto, SyncJsonContext.Default.SyncRunDto,
            statusCode: result.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
    }

    public async Task<IResult> StatusAsync(Caller caller, CancellationToken cancellationToken)
    {
        var status = await sync.GetStatusAsync(caller.TenantId, cancellationToken);
        return status is null ? Problems.NotFound($"tenant '{caller.TenantId}' has never been synced") : TypedResults.Json(status.Value, SyncJsonContext.Default.JsonElement);
    }

    /// <summary>Collects progress on the reporting thread (Progress&lt;T&gt; would post to the thread pool and race the response).</summary>
    private sealed class SynchronousProgress(List<SyncProgress> sink) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value)
        {
            lock (sink)
                sink.Add(value);
        }
    }
}

public sealed record SyncRunDto(
    [property: JsonPropertyName("result")] SyncResult Result,
    [property: JsonPropertyName("resources")] IReadOnlyList<SyncProgress> Resources);

[JsonSerializable(typeof(SyncRunDto))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
public sealed partial class SyncJsonContext : JsonSerializerContext;
