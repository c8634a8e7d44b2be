using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace Arbiter.Store.Cosmos;

/// <summary>
/// How every store and change-feed call runs: the containers ensured first, then the work; what Cosmos throws for a
/// timeout, an unreachable endpoint, throttling past the SDK's retries or a malformed answer becomes
/// <see cref="StoreUnavailableException"/>, so the caller fails closed. Expected outcomes (<see cref="StoreException"/>s)
/// and the caller's own cancellation pass through.
/// </summary>
internal sealed class CosmosCalls(CosmosContainers containers, ILogger logger)
{
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await containers.EnsureCreatedAsync(cancellationToken);
            return await work();
        }
        catch (StoreException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is CosmosException or HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            CosmosLog.Unavailable(logger, ex.GetType().Name, ex);
            throw new StoreUnavailableException("Cosmos DB could not complete the operation.", ex);
        }
    }

    /// <summary>The containers ready, failures reported as for any call.</summary>
    public Task EnsureReadyAsync(CancellationToken cancellationToken) => RunAsync(() => Task.FromResult(0), cancellationToken);

    /// <summary>A stream response that is not a success (and not an outcome the caller handles first) means the store is unavailable.</summary>
    public static void EnsureSuccess(ResponseMessage response, string operation)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new StoreUnavailableException($"Cosmos DB {operation} failed with status {(int)response.StatusCode} ({response.StatusCode}).");
        }
    }
}
