using Azure.Storage.Blobs;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

public static class CheckpointServiceCollectionExtensions
{
    /// <summary>The name of the checkpoints' <see cref="BlobServiceClient"/> among the app's Azure clients.</summary>
    public const string ClientName = "snapshot-checkpoints";

    /// <summary>
    /// With <c>Snapshot:Checkpoint:Enabled</c>: the checkpoint store on Blob Storage, from <c>Snapshot:Checkpoint:Storage</c>
    /// (a connection string, or a section with <c>serviceUri</c> and the process's one credential), the reader the
    /// snapshots use on a cold load, and the writer's timer. Enabled without storage fails the start.
    /// </summary>
    public static IServiceCollection AddSnapshotCheckpoints(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(CheckpointOptions.Section);
        if (!section.GetValue<bool>(nameof(CheckpointOptions.Enabled)))
            return services;
        var storage = section.GetSection("Storage");
        services.AddOptions<SnapshotOptions>()
            .Validate(_ => storage.Exists(), "Snapshot:Checkpoint:Enabled needs Snapshot:Checkpoint:Storage (a connection string) or Snapshot:Checkpoint:Storage:serviceUri")
            .ValidateOnStart();
        services.AddArbiterAzureCredential(configuration);
        if (storage.Exists())
            services.AddAzureClients(azure => azure.AddBlobServiceClient(storage).WithName(ClientName));
        services.TryAddSingleton<ICheckpointStore>(sp => new BlobCheckpointStore(
            sp.GetRequiredService<IAzureClientFactory<BlobServiceClient>>().CreateClient(ClientName), sp.GetRequiredService<IOptions<SnapshotOptions>>()));
        services.TryAddSingleton<SnapshotCheckpoints>();
        services.AddHostedService<SnapshotCheckpointWriter>();
        return services;
    }
}
