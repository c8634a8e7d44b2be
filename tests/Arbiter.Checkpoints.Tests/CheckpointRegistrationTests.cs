using Arbiter.Runtime.Snapshots;
using Arbiter.Runtime.Snapshots.Checkpoints;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Checkpoints.Tests;

/// <summary>What <see cref="CheckpointServiceCollectionExtensions.AddSnapshotCheckpoints"/> registers for which settings.</summary>
public sealed class CheckpointRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) => Services(settings).BuildServiceProvider();

    private static IServiceCollection Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddOptions<SnapshotOptions>().Bind(configuration.GetSection(SnapshotOptions.Section)).ValidateDataAnnotations();
        return services.AddSnapshotCheckpoints(configuration);
    }

    private static bool HasWriter(IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(SnapshotCheckpointWriter));

    [Fact]
    public void AddSnapshotCheckpoints_NotEnabled_RegistersNothing()
    {
        var services = Services(new() { ["Snapshot:Checkpoint:Storage"] = Backend.StorageConnectionString });
        using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetService<SnapshotCheckpoints>());
        Assert.False(HasWriter(services));
    }

    [Fact]
    public async Task AddSnapshotCheckpoints_EnabledWithAConnectionString_ReachesTheStorage()
    {
        var services = Services(new()
        {
            ["Snapshot:Checkpoint:Enabled"] = "true",
            ["Snapshot:Checkpoint:Storage"] = Backend.StorageConnectionString,
            ["Snapshot:Checkpoint:Container"] = "ckpt-reg-" + Guid.NewGuid().ToString("n")[..12],
        });
        using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<ICheckpointStore>();

        Assert.Null(await store.GetHeadAsync("nobody", CancellationToken.None));
        Assert.NotNull(provider.GetRequiredService<SnapshotCheckpoints>());
        Assert.True(HasWriter(services));
    }

    [Fact]
    public void AddSnapshotCheckpoints_EnabledWithoutStorage_FailsValidation()
    {
        using var provider = Build(new() { ["Snapshot:Checkpoint:Enabled"] = "true" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SnapshotOptions>>().Value);
        Assert.Contains("Snapshot:Checkpoint:Storage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaxAgeNotLongerThanInterval_Fails()
    {
        using var provider = Build(new()
        {
            ["Snapshot:Checkpoint:MaxAge"] = "00:05:00",
            ["Snapshot:Checkpoint:Interval"] = "00:05:00",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SnapshotOptions>>().Value);
        Assert.Contains("Snapshot:Checkpoint:MaxAge", error.Message, StringComparison.Ordinal);
    }
}
