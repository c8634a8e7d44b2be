namespace Arbiter.DecisionLog.Tests;

/// <summary>What every sink must do for the admin queries: filters, newest-first keyset paging, tenant isolation, idempotent writes.</summary>
public abstract class DecisionLogSinkContract
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    protected abstract IDecisionLogSink Sink { get; }

    /// <summary>A tenant of this test only: every test owns its data.</summary>
    private static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N")[..8];

    private IDecisionLogQuery Reader => new DecisionLogReader(Sink);

    private static DecisionLogQuery Week => new() { From = Start, To = Start.AddDays(7) };

    private async Task<List<DecisionRecord>> Seed(string tenant)
    {
        // Two days of decisions spread over many hours (so over many partitions), of two agents, two users, two tools.
        var records = new List<DecisionRecord>();
        for (var i = 0; i < 60; i++)
        {
            records.Add(Records.Make(
                tenant,
                Start.AddMinutes(47 * i),
                subject: i % 2 == 0 ? "alice" : "bob",
                agent: i % 3 == 0 ? "recon-agent" : "hr-assistant",
                action: i % 5 == 0 ? "data.read" : "tools/call",
                resource: i % 4 == 0 ? "sql-query" : "hr-lookup",
                allowed: i % 3 != 1));
        }

        await Sink.WriteBatchAsync(records, CancellationToken.None);
        return records;
    }

    private async Task<List<DecisionRecord>> ReadAll(string tenant, DecisionLogQuery query, int pageSize)
    {
        var all = new List<DecisionRecord>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await Reader.QueryAsync(tenant, query, continuation, pageSize);
            Assert.True(page.Items.Count <= pageSize);
            all.AddRange(page.Items);
            continuation = page.Continuation;
            Assert.True(++pages < 1000);
        }
        while (continuation is not null);

        return all;
    }

    private static string Json(DecisionRecord r) => System.Text.Json.JsonSerializer.Serialize(r, DecisionLogJsonContext.Default.DecisionRecord);

    private static void AssertNewestFirst(IReadOnlyList<DecisionRecord> expected, IReadOnlyList<DecisionRecord> actual)
    {
        var ordered = expected.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id).ToList();
        Assert.Equal(ordered, actual.Select(r => r.Id).ToList());
    }

    [Fact]
    public async Task Query_NoFilter_AllNewestFirstAcrossPages()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        var all = await ReadAll(tenant, Week, pageSize: 7);

        AssertNewestFirst(records, all);
        Assert.Equal(Json(records[5]), Json(all.Single(r => r.Id == records[5].Id)));
    }

    [Fact]
    public async Task Query_ByAgent_WhatTheAgentReached()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        var found = await ReadAll(tenant, Week with { AgentId = "recon-agent" }, pageSize: 6);

        AssertNewestFirst([.. records.Where(r => r.AgentId == "recon-agent")], found);
    }

    [Fact]
    public async Task Query_ByDecisionId_ThatOneRecordWhole()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        var found = await ReadAll(tenant, Week with { DecisionId = records[17].Id }, pageSize: 5);
        var elsewhere = await ReadAll(NewTenant(), Week with { DecisionId = records[17].Id }, pageSize: 5);

        Assert.Equal(Json(records[17]), Json(Assert.Single(found)));
        Assert.Empty(elsewhere);
    }

    [Fact]
    public async Task Query_DeniedOnTool_WhoWasDenied()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        var found = await ReadAll(tenant, Week with { ResourceType = "tool", ResourceId = "sql-query", Allowed = false }, pageSize: 50);

        AssertNewestFirst([.. records.Where(r => r.ResourceId == "sql-query" && !r.Allowed)], found);
        Assert.NotEmpty(found);
    }

    [Fact]
    public async Task Query_ByUserActionAndTimeRange_OnlyMatches()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);
        var from = Start.AddHours(5);
        var to = Start.AddHours(30);

        var found = await ReadAll(tenant, new DecisionLogQuery { From = from, To = to, SubjectId = "alice", Action = "tools/call", Allowed = true }, pageSize: 4);

        AssertNewestFirst([.. records.Where(r => r.SubjectId == "alice" && r.Action == "tools/call" && r.Allowed && r.Time >= from && r.Time < to)], found);
        Assert.NotEmpty(found);
    }

    [Fact]
    public async Task Query_OtherTenant_SeesNothingOfThisOne()
    {
        var tenant = NewTenant();
        var other = NewTenant();
        await Seed(tenant);
        await Sink.WriteBatchAsync([Records.Make(other, Start.AddHours(1))], CancellationToken.None);

        var found = await ReadAll(other, Week, pageSize: 100);

        var single = Assert.Single(found);
        Assert.Equal(other, single.TenantId);
    }

    [Fact]
    public async Task WriteBatch_SameBatchTwice_StoredOnce()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        await Sink.WriteBatchAsync(records, CancellationToken.None);

        Assert.Equal(records.Count, (await ReadAll(tenant, Week, pageSize: 1000)).Count);
    }

    [Fact]
    public async Task WriteBatch_RetriedWithOtherBoundaries_EachRecordOnce()
    {
        // The flusher re-sends after a crash from where its journal segment starts, so a retry's batch can begin and
        // end elsewhere than the first write's: the overlap must still be stored (or at least answered) once.
        var tenant = NewTenant();
        var records = await Seed(tenant);

        await Sink.WriteBatchAsync(records[20..45], CancellationToken.None);
        await Sink.WriteBatchAsync([.. records[40..], .. records[..5]], CancellationToken.None);

        var all = await ReadAll(tenant, Week, pageSize: 9);
        AssertNewestFirst(records, all);
        var byId = await ReadAll(tenant, Week with { DecisionId = records[42].Id }, pageSize: 1);
        Assert.Equal(Json(records[42]), Json(Assert.Single(byId)));
    }

    [Fact]
    public async Task WriteBatch_SameIdTwiceInOneBatch_StoredOnce()
    {
        // A batch can hold a record twice (a journal replay beside its memory copy): the first is kept, once.
        var tenant = NewTenant();
        var first = Records.Make(tenant, Start.AddMinutes(1), subject: "alice");
        var other = Records.Make(tenant, Start.AddMinutes(2));
        var again = first with { SubjectId = "bob" };

        await Sink.WriteBatchAsync([first, other, again], CancellationToken.None);

        var all = await ReadAll(tenant, Week, pageSize: 10);
        Assert.Equal([other.Id, first.Id], all.Select(r => r.Id));
        Assert.Equal("alice", all[1].SubjectId);
    }

    [Fact]
    public async Task WriteBatch_IdsNeedingEscapes_EachFoundById()
    {
        // Ids are the caller's text as far as a sink knows (records read back from a spill file): quotes, backslashes,
        // control and non-ASCII characters must survive the write and the lookup.
        var tenant = NewTenant();
        string[] ids = ["say \"hi\"", "back\\slash", "tab\tnew\nline", "ünï-çødé-✓", "[\"json\"]", "plain"];
        var records = ids.Select((id, i) => Records.Make(tenant, Start.AddMinutes(i), id: id)).ToList();

        await Sink.WriteBatchAsync(records, CancellationToken.None);
        await Sink.WriteBatchAsync(records, CancellationToken.None);

        Assert.Equal(ids.Length, (await ReadAll(tenant, Week, pageSize: 100)).Count);
        foreach (var id in ids)
        {
            Assert.Equal(id, Assert.Single(await ReadAll(tenant, Week with { DecisionId = id }, pageSize: 1)).Id);
        }
    }

    [Fact]
    public async Task WriteBatch_ManyGroupsOfTwoTenants_AllStoredOnce()
    {
        // More records than one group holds, of two tenants interleaved: several groups encoded side by side in one write.
        var (a, b) = (NewTenant(), NewTenant());
        var records = Enumerable.Range(0, 2_600)
            .Select(i => Records.Make(i % 5 == 0 ? b : a, Start.AddMilliseconds(i * 37), subject: "u" + (i % 97)))
            .ToList();

        await Sink.WriteBatchAsync(records, CancellationToken.None);
        await Sink.WriteBatchAsync(records[1_000..1_700], CancellationToken.None);

        var day = Week with { To = Start.AddDays(1) };
        AssertNewestFirst([.. records.Where(r => r.TenantId == a)], await ReadAll(a, day, pageSize: 1000));
        AssertNewestFirst([.. records.Where(r => r.TenantId == b)], await ReadAll(b, day, pageSize: 1000));
        var probe = records[1_234];
        Assert.Equal(Json(probe), Json(Assert.Single(await ReadAll(probe.TenantId, day with { DecisionId = probe.Id }, pageSize: 1))));
    }

    [Fact]
    public async Task Query_OneHourOfOverlappingBatches_NewestFirstAcrossPages()
    {
        // Three batches of the same hour whose times interleave: groups overlap in time, so a page must not take a
        // group's records as final before every group that can hold newer ones was read.
        var tenant = NewTenant();
        var hour = Start.AddHours(3);
        var records = Enumerable.Range(0, 90).Select(i => Records.Make(tenant, hour.AddSeconds(i * 37 % 3600), agent: i % 4 == 0 ? "recon-agent" : "hr-assistant")).ToList();
        foreach (var batch in records.GroupBy(r => records.IndexOf(r) % 3))
        {
            await Sink.WriteBatchAsync([.. batch], CancellationToken.None);
        }

        AssertNewestFirst(records, await ReadAll(tenant, Week, pageSize: 7));
        AssertNewestFirst([.. records.Where(r => r.AgentId == "recon-agent")], await ReadAll(tenant, Week with { AgentId = "recon-agent" }, pageSize: 4));
        var from = hour.AddMinutes(10);
        var to = hour.AddMinutes(40);
        AssertNewestFirst([.. records.Where(r => r.Time >= from && r.Time < to)], await ReadAll(tenant, new DecisionLogQuery { From = from, To = to }, pageSize: 5));
    }

    [Fact]
    public async Task Query_BySubjectTypeResourceTypeAndDecision_OnlyMatches()
    {
        // Fields a group keeps no value set for: the sink filters its decoded records.
        var tenant = NewTenant();
        var records = Enumerable.Range(0, 40).Select(i => Records.Make(
            tenant, Start.AddMinutes(11 * i), subject: i % 2 == 0 ? "alice" : "recon-agent", resourceType: i % 3 == 0 ? "data" : "tool",
            allowed: i % 5 != 0) with { SubjectType = i % 2 == 0 ? "user" : "agent" }).ToList();
        await Sink.WriteBatchAsync(records, CancellationToken.None);

        var found = await ReadAll(tenant, Week with { SubjectType = "agent", ResourceType = "data" }, pageSize: 3);
        var denied = await ReadAll(tenant, Week with { Allowed = false }, pageSize: 3);
        var permittedAlice = await ReadAll(tenant, Week with { SubjectId = "alice", Allowed = true }, pageSize: 3);

        AssertNewestFirst([.. records.Where(r => r.SubjectType == "agent" && r.ResourceType == "data")], found);
        AssertNewestFirst([.. records.Where(r => !r.Allowed)], denied);
        AssertNewestFirst([.. records.Where(r => r.SubjectId == "alice" && r.Allowed)], permittedAlice);
        Assert.NotEmpty(found);
        Assert.NotEmpty(denied);
    }

    [Fact]
    public async Task Query_ByResourceAndAction_OnlyMatches()
    {
        var tenant = NewTenant();
        var records = await Seed(tenant);

        var found = await ReadAll(tenant, Week with { ResourceId = "hr-lookup", Action = "data.read" }, pageSize: 2);

        AssertNewestFirst([.. records.Where(r => r.ResourceId == "hr-lookup" && r.Action == "data.read")], found);
        Assert.NotEmpty(found);
    }

    [Fact]
    public async Task Query_ContinuationNotOurs_ArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Reader.QueryAsync(NewTenant(), Week, "not-a-cursor", 10));
    }

    [Fact]
    public async Task Query_RangeTooLong_ArgumentExceptionNamingTo()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Reader.QueryAsync(NewTenant(), Week with { To = Start.AddDays(40) }, null, 10));
        Assert.Equal("to", ex.ParamName);
    }
}
