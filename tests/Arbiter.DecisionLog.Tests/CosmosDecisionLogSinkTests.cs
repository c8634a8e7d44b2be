using System.Text.Json;
using Arbiter.Store.Cosmos.DecisionLog;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.DecisionLog.Tests;

/// <summary>
/// The Cosmos sink against the local test server (infra/servers.sh start cosmos; infra/test.sh sets the variables)
/// or, with the same variables pointed at it, a real account or the official emulator.
/// </summary>
public sealed class CosmosDecisionLogFixture : IAsyncLifetime
{
    // Any base64 key works: the local server does not check signatures.
    private const string AnyKey = "YXJiaXRlci1sb2NhbC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtYXJiaXRlci1sb2NhbC10ZXN0LWtleQ==";
    private ServiceProvider? _provider;

    public CosmosDecisionLogSink Sink { get; private set; } = null!;

    /// <summary>The decisions container, to write items as the earlier layout did and to read the stored items.</summary>
    public Microsoft.Azure.Cosmos.Container Container { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL");
        if (string.IsNullOrEmpty(endpoint))
        {
            throw new InvalidOperationException(
                "ARBITER_TEST_COSMOS_LOCAL is not set: start the local server (infra/servers.sh start cosmos) and set it, or run infra/test.sh.");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = endpoint,
            ["Cosmos:Key"] = Environment.GetEnvironmentVariable("ARBITER_TEST_COSMOS_LOCAL_KEY") is { Length: > 0 } key ? key : AnyKey,
            ["Cosmos:Database"] = "arbiter-dl-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cosmos:CreateIfNotExists"] = "true",
            ["DecisionLog:Buckets"] = "4",
        }).Build();
        _provider = new ServiceCollection().AddLogging().AddCosmosDecisionLogSink(configuration).BuildServiceProvider();
        Sink = _provider.GetRequiredService<CosmosDecisionLogSink>();
        Assert.Same(Sink, _provider.GetRequiredService<IDecisionLogSink>());
        Container = _provider.GetRequiredService<Arbiter.Store.Cosmos.CosmosContainers>().Decisions;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}

public sealed class CosmosDecisionLogSinkTests(CosmosDecisionLogFixture fixture) : DecisionLogSinkContract, IClassFixture<CosmosDecisionLogFixture>
{
    protected override IDecisionLogSink Sink => fixture.Sink;

    /// <summary>An item as the sink wrote it before groups (one per decision, commit c6b966a): this shape is frozen here on purpose.</summary>
    private static MemoryStream OldItem(DecisionRecord r, int buckets)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", r.Id);
            writer.WriteString("pk", DecisionLogPartitions.Key(r.TenantId, r.Time, r.Id, buckets));
            writer.WriteString("tenantId", r.TenantId);
            writer.WriteString("sk", CosmosDecisionLogSink.SortKey(r.Time.UtcTicks, r.Id));
            if (r.AgentId is not null)
            {
                writer.WriteString("agentId", r.AgentId);
            }

            writer.WriteString("subjectType", r.SubjectType);
            writer.WriteString("subjectId", r.SubjectId);
            writer.WriteString("action", r.Action);
            writer.WriteString("resourceType", r.ResourceType);
            writer.WriteString("resourceId", r.ResourceId);
            writer.WriteBoolean("allowed", r.Allowed);
            writer.WriteNumber("ttl", 86400);
            writer.WritePropertyName("record");
            JsonSerializer.Serialize(writer, r, DecisionLogJsonContext.Default.DecisionRecord);
            writer.WriteEndObject();
        }

        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task Query_ItemsOfTheEarlierLayout_ReadBesideGroups()
    {
        var tenant = "tenant-" + Guid.NewGuid().ToString("N")[..8];
        var start = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var old = Enumerable.Range(0, 12).Select(i => Records.Make(tenant, start.AddMinutes(13 * i), agent: i % 2 == 0 ? "recon-agent" : "hr-assistant", allowed: i % 3 != 0)).ToList();
        var grouped = Enumerable.Range(0, 12).Select(i => Records.Make(tenant, start.AddMinutes(13 * i + 5), agent: i % 2 == 0 ? "recon-agent" : "hr-assistant", allowed: i % 3 != 0)).ToList();
        foreach (var r in old)
        {
            using var item = OldItem(r, buckets: 4);
            using var response = await fixture.Container.UpsertItemStreamAsync(item, new PartitionKey(DecisionLogPartitions.Key(r.TenantId, r.Time, r.Id, 4)));
            Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        }

        await Sink.WriteBatchAsync(grouped, CancellationToken.None);
        var reader = new DecisionLogReader(Sink);
        var day = new DecisionLogQuery { From = start, To = start.AddDays(1) };
        async Task<List<DecisionRecord>> All(DecisionLogQuery q)
        {
            var all = new List<DecisionRecord>();
            string? continuation = null;
            do
            {
                var page = await reader.QueryAsync(tenant, q, continuation, 5);
                all.AddRange(page.Items);
                continuation = page.Continuation;
            }
            while (continuation is not null);
            return all;
        }

        var both = old.Concat(grouped).OrderByDescending(r => r.Time).Select(r => r.Id).ToList();
        Assert.Equal(both, (await All(day)).Select(r => r.Id));
        Assert.Equal(
            old.Concat(grouped).Where(r => r.AgentId == "recon-agent" && !r.Allowed).OrderByDescending(r => r.Time).Select(r => r.Id),
            (await All(day with { AgentId = "recon-agent", Allowed = false })).Select(r => r.Id));
        var one = Assert.Single(await All(day with { DecisionId = old[7].Id }));
        Assert.Equal(JsonSerializer.Serialize(old[7], DecisionLogJsonContext.Default.DecisionRecord), JsonSerializer.Serialize(one, DecisionLogJsonContext.Default.DecisionRecord));
    }

    [Fact]
    public async Task WriteBatch_OneHourOfOneTenant_OneItemPerHundredsOfRecords()
    {
        var tenant = "tenant-" + Guid.NewGuid().ToString("N")[..8];
        var start = new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, 1200).Select(i => Records.Make(tenant, start.AddMilliseconds(i))).ToList();

        await Sink.WriteBatchAsync(records, CancellationToken.None);

        var items = 0;
        long bytes = 0;
        foreach (var key in DecisionLogPartitions.KeysFor(tenant, [start], 4))
        {
            using var iterator = fixture.Container.GetItemQueryStreamIterator(
                new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk").WithParameter("@pk", key), requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(key) });
            while (iterator.HasMoreResults)
            {
                using var page = await iterator.ReadNextAsync();
                using var document = await JsonDocument.ParseAsync(page.Content);
                foreach (var item in document.RootElement.GetProperty("Documents").EnumerateArray())
                {
                    items++;
                    bytes += item.GetRawText().Length;
                    Assert.False(item.TryGetProperty("record", out _));
                }
            }
        }

        Assert.Equal(3, items); // 500 + 500 + 200
        Assert.True(bytes / records.Count < 200, $"{bytes / records.Count} bytes per record");
    }
}
