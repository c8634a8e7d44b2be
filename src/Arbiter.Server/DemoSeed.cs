using System.Text.Json;
using Arbiter.Engine.Json;
using Arbiter.Runtime.Tenants;
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

    /// <summary>False (logged) when the seed file cannot be read or is invalid: the server then exits cleanly, with no stack trace.</summary>
    public static async Task<bool> ApplyAsync(WebApplication app)
    {
        var seed = app.Services.GetRequiredService<IOptions<SeedOptions>>().Value;
        if (string.IsNullOrWhiteSpace(seed.File))
            return true;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arbiter.Seed");
        var transfer = app.Services.GetRequiredService<TenantTransfer>();
        var store = app.Services.GetRequiredService<IDocumentStore>();
        // The marker is written after the whole import, so an import cut short is simply run again (it is idempotent).
        if (await store.GetAsync(seed.Tenant, DocumentKinds.SyncState, MarkerId) is not null)
        {
            LogSkipped(logger, seed.Tenant);
            return true;
        }
        JsonDocument document;
        try
        {
            document = StrictJson.Parse(await File.ReadAllBytesAsync(seed.File));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            LogInvalid(logger, seed.File, e.Message);
            return false;
        }
        using var _ = document;
        var result = await transfer.ImportAsync(seed.Tenant, document.RootElement, null, CancellationToken.None);
        if (!result.Succeeded)
        {
            var problems = string.Join("; ", result.Problems.Select(p => $"{p.Path}: {p.Message}"));
            LogInvalid(logger, seed.File, problems);
            return false;
        }
        await store.PutAsync(seed.Tenant, DocumentKinds.SyncState, MarkerId,
            JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["file"] = Path.GetFileName(seed.File), ["at"] = DateTimeOffset.UtcNow.ToString("O") }), "*");
        LogSeeded(logger, seed.Tenant, result.Written, seed.File);
        return true;
    }

    [LoggerMessage(EventId = 4303, Level = LogLevel.Critical, Message = "REFUSING TO START: seed file {File} is invalid: {Problems}")]
    private static partial void LogInvalid(ILogger logger, string file, string problems);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Seeded tenant {Tenant} with {Count} documents from {File}")]
    private static partial void LogSeeded(ILogger logger, string tenant, int count, string file);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Tenant {Tenant} was seeded before; seed skipped")]
    private static partial void LogSkipped(ILogger logger, string tenant);
}
