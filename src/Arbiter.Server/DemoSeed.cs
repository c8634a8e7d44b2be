using System.Text.Json;
using Arbiter.Api.Admin;
using Arbiter.Store;
using Microsoft.Extensions.Options;

namespace Arbiter.Server;

/// <summary><c>Seed:File</c> + <c>Seed:Tenant</c>: a tenant file imported at start when that tenant has no policies yet.</summary>
public sealed class SeedOptions
{
    public const string Section = "Seed";

    public string? File { get; set; }

    public string Tenant { get; set; } = "demo";
}

public static partial class DemoSeed
{
    private const string MarkerId = "seed";

    public static async Task ApplyAsync(WebApplication app)
    {
        var seed = app.Services.GetRequiredService<IOptions<SeedOptions>>().Value;
        if (string.IsNullOrWhiteSpace(seed.File))
            return;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arbiter.Seed");
        var transfer = app.Services.GetRequiredService<TenantTransfer>();
        var store = app.Services.GetRequiredService<IDocumentStore>();
        // The marker is written after the whole import, so an import cut short is simply run again (it is idempotent).
        if (await store.GetAsync(seed.Tenant, DocumentKinds.SyncState, MarkerId) is not null)
        {
            LogSkipped(logger, seed.Tenant);
            return;
        }
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(seed.File));
        var result = await transfer.ImportAsync(seed.Tenant, document.RootElement, null, CancellationToken.None);
        if (!result.Succeeded)
            throw new InvalidOperationException($"seed file {seed.File} is invalid: {string.Join("; ", result.Problems.Select(p => $"{p.Path}: {p.Message}"))}");
        await store.PutAsync(seed.Tenant, DocumentKinds.SyncState, MarkerId,
            JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["file"] = Path.GetFileName(seed.File), ["at"] = DateTimeOffset.UtcNow.ToString("O") }), "*");
        LogSeeded(logger, seed.Tenant, result.Written, seed.File);
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Seeded tenant {Tenant} with {Count} documents from {File}")]
    private static partial void LogSeeded(ILogger logger, string tenant, int count, string file);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Tenant {Tenant} was seeded before; seed skipped")]
    private static partial void LogSkipped(ILogger logger, string tenant);
}
