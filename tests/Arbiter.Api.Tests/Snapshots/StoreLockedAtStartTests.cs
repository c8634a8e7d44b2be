using System.Net.Http.Json;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Runtime.Tenants;
using Arbiter.Store.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Api.Tests.Snapshots;

/// <summary>
/// A real server process whose SQLite file is locked by another process when it starts: decisions deny at once with
/// the reason (they do not retry the load themselves), and once the lock is gone the refresher loads the tenant by
/// itself and the same request permits.
/// </summary>
public sealed class StoreLockedAtStartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arbiter-api-tests", Guid.NewGuid().ToString("n"));

    public StoreLockedAtStartTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Only a leaked temp folder.
        }
    }

    [Fact]
    public async Task Decisions_StoreLockedAtStart_DenyAtOnceThenRecoverWhenUnlocked()
    {
        var db = Path.Combine(_directory, "locked.db");
        await SeedAsync(db);
        await using var holder = new SqliteConnection($"Data Source={db};Pooling=False");
        await holder.OpenAsync();
        await Exec(holder, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO changes_lock_probe VALUES (1);");

        await using var server = LiveServer.Start(db, "--Snapshot:Tenants", "demo", "--Store:BusyTimeout", "00:00:00.200");
        await server.WaitForLineAsync("Now listening on", TimeSpan.FromSeconds(60));
        await server.WaitForLineAsync("Snapshot refresh of tenant demo failed", TimeSpan.FromSeconds(30));
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        var denied = new List<JsonElement>();
        for (var i = 0; i < 20; i++)
            denied.Add(await DecideAsync(client));

        Assert.All(denied, d => Assert.False(d.GetProperty("decision").GetBoolean()));
        // "is not loaded": the reason of a decision that found the failed load and did not try again itself.
        Assert.All(denied, d => Assert.Contains("is not loaded", Reason(d), StringComparison.Ordinal));

        await Exec(holder, "ROLLBACK; PRAGMA locking_mode = NORMAL;");
        await holder.CloseAsync();
        await server.WaitForLineAsync("Loaded tenant demo", TimeSpan.FromSeconds(60));

        Assert.True((await DecideAsync(client)).GetProperty("decision").GetBoolean());
    }

    private static async Task<JsonElement> DecideAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/access/v1/evaluation",
            new { subject = new { type = "user", id = "alice" }, action = new { name = "agent.invoke" }, resource = new { type = "agent", id = "hr-assistant" }, options = new { explain = true } });
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string Reason(JsonElement decision) =>
        decision.GetProperty("context").GetProperty("reason_admin").GetProperty("en").GetString() ?? "";

    private static async Task SeedAsync(string db)
    {
        using var store = new SqliteDocumentStore(Options.Create(new SqliteStoreOptions { SqlitePath = db }), new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero)), NullLogger<SqliteDocumentStore>.Instance);
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(ArbiterServerFixture.DemoTenantFile));
        var result = await new TenantTransfer(store).ImportAsync("demo", file.RootElement, null, CancellationToken.None);
        Assert.True(result.Succeeded);
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        await connection.OpenAsync();
        await Exec(connection, "CREATE TABLE IF NOT EXISTS changes_lock_probe (x INTEGER);");
    }

    private static async Task Exec(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
