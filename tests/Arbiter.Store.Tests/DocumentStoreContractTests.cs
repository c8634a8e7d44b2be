using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Store.Tests;

/// <summary>
/// The one contract every <see cref="IDocumentStore"/> / <see cref="IChangeFeed"/> implementation passes.
/// Each test owns a fresh tenant id, so tests never see each other's data even on a shared server.
/// </summary>
public abstract class DocumentStoreContractTests
{
    protected const string Kind = DocumentKinds.Policy;

    protected abstract IDocumentStore Store { get; }

    protected abstract IChangeFeed Feed { get; }

    /// <summary>The clock the store under test was given.</summary>
    protected abstract FakeTimeProvider Time { get; }

    protected string Tenant { get; } = "t-" + Guid.NewGuid().ToString("N");

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    /// <summary>Bounds every store call so a hung backend fails the test instead of the run.</summary>
    protected CancellationToken Ct => _timeout.Token;

    protected static JsonElement Body(object value) => JsonSerializer.SerializeToElement(value);

    protected static int V(StoredDocument document) => document.Body.GetProperty("v").GetInt32();

    [SkippableFact]
    public async Task Put_NewDocument_GetReturnsItWithEnvelope()
    {
        var written = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1, name = "first" }), ifMatch: null, Ct);

        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);

        Assert.NotNull(read);
        Assert.Equal((Tenant, Kind, "p1", false), (read.TenantId, read.Kind, read.Id, read.Deleted));
        Assert.Equal("first", read.Body.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(written.ETag));
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(Time.GetUtcNow(), written.UpdatedAt);
        Assert.Equal(written.UpdatedAt, read.UpdatedAt);
    }

    [SkippableFact]
    public async Task Get_Missing_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync(Tenant, Kind, "nope", cancellationToken: Ct));
        Assert.Null(await Store.GetAsync(Tenant, Kind, "nope", includeDeleted: true, Ct));
    }

    [SkippableFact]
    public async Task Put_Update_NewETagEachWrite()
    {
        var first = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        Time.Advance(TimeSpan.FromSeconds(5));

        var second = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), first.ETag, Ct);

        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(first.UpdatedAt + TimeSpan.FromSeconds(5), second.UpdatedAt);
        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);
        Assert.Equal(2, V(read!));
        Assert.Equal(second.ETag, read!.ETag);
    }

    [SkippableFact]
    public async Task List_ManyDocuments_PagesInIdOrderWithoutOtherKinds()
    {
        var ids = Enumerable.Range(0, 7).Select(i => $"doc-{i:D2}").Reverse().ToList();
        foreach (var id in ids)
        {
            await Store.PutAsync(Tenant, Kind, id, Body(new { v = 1, id }), null, Ct);
        }

        await Store.PutAsync(Tenant, DocumentKinds.PolicyVersion, "doc-00@1", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, DocumentKinds.Agent, "doc-00", Body(new { v = 1 }), null, Ct);

        var seen = new List<string>();
        var pages = 0;
        string? continuation = null;
        do
        {
            var page = await Store.ListAsync(Tenant, Kind, continuation, limit: 3, cancellationToken: Ct);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(d => d.Id));
            Assert.All(page.Items, d => Assert.Equal(Kind, d.Kind));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null && pages < 10);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);
        Assert.InRange(pages, 3, 4);
    }

    [SkippableFact]
    public async Task List_EmptyTenant_ReturnsNoItemsAndNoContinuation()
    {
        var page = await Store.ListAsync(Tenant, Kind, cancellationToken: Ct);

        Assert.Empty(page.Items);
        Assert.Null(page.Continuation);
    }

    [SkippableFact]
    public async Task Put_CreateOnlyOverLiveDocument_ThrowsConflictAndKeepsOriginal()
    {
        var original = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);

        await Assert.ThrowsAsync<ConflictException>(() => Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), null, Ct));

        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);
        Assert.Equal(1, V(read!));
        Assert.Equal(original.ETag, read!.ETag);
    }

    [SkippableFact]
    public async Task Put_StaleETag_ThrowsPreconditionFailedAndKeepsCurrent()
    {
        var first = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        var second = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), first.ETag, Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 3 }), first.ETag, Ct));

        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);
        Assert.Equal(2, V(read!));
        Assert.Equal(second.ETag, read!.ETag);
    }

    [SkippableFact]
    public async Task Put_ETagOnMissingDocument_ThrowsPreconditionFailed()
    {
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PutAsync(Tenant, Kind, "ghost", Body(new { v = 1 }), "\"not-an-etag\"", Ct));

        Assert.Null(await Store.GetAsync(Tenant, Kind, "ghost", includeDeleted: true, Ct));
    }

    [SkippableFact]
    public async Task Put_WildcardIfMatch_CreatesThenOverwrites()
    {
        await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), "*", Ct);
        await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), "*", Ct);

        Assert.Equal(2, V((await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct))!));
    }

    [SkippableFact]
    public async Task Put_TenRacingWritersWithSameETag_ExactlyOneWins()
    {
        var original = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 0 }), null, Ct);
        using var gate = new ManualResetEventSlim();
        var racers = Enumerable.Range(1, 10).Select(i => Task.Run(async () =>
        {
            gate.Wait(Ct);
            try
            {
                return (Winner: i, Result: (StoredDocument?)await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = i }), original.ETag, Ct), Error: (Exception?)null);
            }
            catch (Exception ex)
            {
                return (Winner: i, Result: (StoredDocument?)null, Error: ex);
            }
        }, Ct)).ToList();

        gate.Set();
        var outcomes = await Task.WhenAll(racers);

        var winners = outcomes.Where(o => o.Result is not null).ToList();
        var winner = Assert.Single(winners);
        Assert.All(outcomes.Where(o => o.Result is null), o => Assert.IsType<PreconditionFailedException>(o.Error));
        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);
        Assert.Equal(winner.Winner, V(read!));
        Assert.Equal(winner.Result!.ETag, read!.ETag);
    }

    [SkippableFact]
    public async Task Put_TenRacingCreators_ExactlyOneWinsOthersConflict()
    {
        var store = Store;
        using var gate = new ManualResetEventSlim();
        var racers = Enumerable.Range(1, 10).Select(i => Task.Run(async () =>
        {
            gate.Wait(Ct);
            try
            {
                await store.PutAsync(Tenant, Kind, "new", Body(new { v = i }), null, Ct);
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }, Ct)).ToList();

        gate.Set();
        var errors = await Task.WhenAll(racers);

        Assert.Single(errors, e => e is null);
        Assert.All(errors.Where(e => e is not null), e => Assert.IsType<ConflictException>(e));
    }

    [SkippableFact]
    public async Task Delete_LiveDocument_LeavesTombstone()
    {
        var written = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "p2", Body(new { v = 1 }), null, Ct);
        Time.Advance(TimeSpan.FromMinutes(1));

        var tombstone = await Store.DeleteAsync(Tenant, Kind, "p1", written.ETag, Ct);

        Assert.True(tombstone.Deleted);
        Assert.NotEqual(written.ETag, tombstone.ETag);
        Assert.Equal(Time.GetUtcNow(), tombstone.UpdatedAt);
        Assert.Null(await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct));
        var kept = await Store.GetAsync(Tenant, Kind, "p1", includeDeleted: true, Ct);
        Assert.NotNull(kept);
        Assert.True(kept.Deleted);
        Assert.Equal(tombstone.ETag, kept.ETag);
        Assert.Equal(["p2"], (await Store.ListAsync(Tenant, Kind, cancellationToken: Ct)).Items.Select(d => d.Id));
        var all = await Store.ListAsync(Tenant, Kind, includeDeleted: true, cancellationToken: Ct);
        Assert.Equal(["p1", "p2"], all.Items.Select(d => d.Id));
        Assert.True(all.Items[0].Deleted);
    }

    [SkippableFact]
    public async Task Delete_MissingOrAlreadyDeleted_ThrowsNotFound()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteAsync(Tenant, Kind, "ghost", "*", Ct));

        var written = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        await Store.DeleteAsync(Tenant, Kind, "p1", "*", Ct);
        await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteAsync(Tenant, Kind, "p1", "*", Ct));
        Assert.NotNull(written);
    }

    [SkippableFact]
    public async Task Delete_StaleETag_ThrowsPreconditionFailedAndKeepsDocument()
    {
        var first = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), first.ETag, Ct);

        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.DeleteAsync(Tenant, Kind, "p1", first.ETag, Ct));

        Assert.Equal(2, V((await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct))!));
    }

    [SkippableFact]
    public async Task Put_CreateOnlyOverTombstone_RecreatesDocument()
    {
        await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        var tombstone = await Store.DeleteAsync(Tenant, Kind, "p1", "*", Ct);

        var recreated = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 2 }), null, Ct);

        Assert.False(recreated.Deleted);
        Assert.NotEqual(tombstone.ETag, recreated.ETag);
        var read = await Store.GetAsync(Tenant, Kind, "p1", cancellationToken: Ct);
        Assert.Equal(2, V(read!));
        Assert.False(read!.Deleted);
    }

    [SkippableFact]
    public async Task ChangeFeed_CursorFromNow_SeesOnlyLaterChanges()
    {
        await Store.PutAsync(Tenant, Kind, "before", Body(new { v = 1 }), null, Ct);
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);

        await Store.PutAsync(Tenant, Kind, "after", Body(new { v = 1 }), null, Ct);
        var (changes, _) = await DrainAsync(Tenant, cursor, seen => seen.Any(d => d.Id == "after"));

        Assert.Contains(changes, d => d.Id == "after");
        Assert.DoesNotContain(changes, d => d.Id == "before");
    }

    [SkippableFact]
    public async Task ChangeFeed_EmptyTenant_ReturnsEmptyBatch()
    {
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);

        var batch = await Feed.ReadAsync(Tenant, cursor, cancellationToken: Ct);

        Assert.Empty(batch.Changes);
        Assert.False(string.IsNullOrEmpty(batch.Cursor));
    }

    [SkippableFact]
    public async Task ChangeFeed_ManyUpdates_PerDocumentOrderEndsAtCurrentStateIncludingTombstones()
    {
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);
        var a = await Store.PutAsync(Tenant, Kind, "a", Body(new { v = 1 }), null, Ct);
        var b = await Store.PutAsync(Tenant, DocumentKinds.Agent, "b", Body(new { v = 1 }), null, Ct);
        for (var v = 2; v <= 4; v++)
        {
            a = await Store.PutAsync(Tenant, Kind, "a", Body(new { v }), a.ETag, Ct);
            b = await Store.PutAsync(Tenant, DocumentKinds.Agent, "b", Body(new { v }), b.ETag, Ct);
        }

        var tombstone = await Store.DeleteAsync(Tenant, DocumentKinds.Agent, "b", b.ETag, Ct);
        var (changes, _) = await DrainAsync(Tenant, cursor, seen =>
            seen.Any(d => d.ETag == a.ETag) && seen.Any(d => d.ETag == tombstone.ETag));

        var ofA = changes.Where(d => d.Id == "a").ToList();
        var ofB = changes.Where(d => d.Id == "b").ToList();
        Assert.Equal(ofA.Select(V).Order(), ofA.Select(V));
        Assert.Equal(ofB.Select(V).Order(), ofB.Select(V));
        Assert.Equal(a.ETag, ofA[^1].ETag);
        Assert.False(ofA[^1].Deleted);
        Assert.Equal(tombstone.ETag, ofB[^1].ETag);
        Assert.True(ofB[^1].Deleted);
        Assert.Equal(DocumentKinds.Agent, ofB[^1].Kind);
    }

    [SkippableFact]
    public async Task ChangeFeed_ResumeFromReturnedCursor_NoDuplicatesWhenNothingChanged()
    {
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);
        await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "p2", Body(new { v = 1 }), null, Ct);
        var (_, resumeAt) = await DrainAsync(Tenant, cursor, seen => seen.Count(d => d.Id is "p1" or "p2") >= 2);

        var again = await Feed.ReadAsync(Tenant, resumeAt, cancellationToken: Ct);
        var once = await Feed.ReadAsync(Tenant, again.Cursor, cancellationToken: Ct);

        Assert.Empty(again.Changes);
        Assert.Empty(once.Changes);
    }

    [SkippableFact]
    public async Task ChangeFeed_ResumeAfterMoreWrites_DeliversOnlyNewChanges()
    {
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);
        var p1 = await Store.PutAsync(Tenant, Kind, "p1", Body(new { v = 1 }), null, Ct);
        var (_, resumeAt) = await DrainAsync(Tenant, cursor, seen => seen.Any(d => d.ETag == p1.ETag));

        var p2 = await Store.PutAsync(Tenant, Kind, "p2", Body(new { v = 1 }), null, Ct);
        var (changes, _) = await DrainAsync(Tenant, resumeAt, seen => seen.Any(d => d.ETag == p2.ETag));

        Assert.Equal(["p2"], changes.Select(d => d.Id));
    }

    [SkippableFact]
    public async Task ChangeFeed_SmallBatches_DeliverEverythingInOrder()
    {
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);
        var written = new List<StoredDocument>();
        for (var i = 0; i < 5; i++)
        {
            written.Add(await Store.PutAsync(Tenant, Kind, $"p{i}", Body(new { v = i }), null, Ct));
        }

        var (changes, _) = await DrainAsync(Tenant, cursor, seen => written.All(w => seen.Any(d => d.ETag == w.ETag)), maxItems: 2);

        Assert.Equal(written.Select(w => w.Id), changes.Select(d => d.Id).Distinct());
    }

    [SkippableFact]
    public async Task WriteMany_MixedWritesWithOneStaleETag_OnlyThatOneFailsOthersCommittedAndInFeed()
    {
        var update = await Store.PutAsync(Tenant, Kind, "update", Body(new { v = 1 }), null, Ct);
        var delete = await Store.PutAsync(Tenant, DocumentKinds.Agent, "delete", Body(new { v = 1 }), null, Ct);
        var staleFirst = await Store.PutAsync(Tenant, Kind, "stale", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "stale", Body(new { v = 2 }), staleFirst.ETag, Ct);
        var cursor = await Feed.GetCurrentCursorAsync(Tenant, Ct);
        Time.Advance(TimeSpan.FromSeconds(5));

        var results = await Store.WriteManyAsync(Tenant,
        [
            DocumentWrite.Put(Kind, "create", Body(new { v = 1 }), null),
            DocumentWrite.Put(Kind, "update", Body(new { v = 2 }), update.ETag),
            DocumentWrite.Delete(DocumentKinds.Agent, "delete", delete.ETag),
            DocumentWrite.Put(Kind, "stale", Body(new { v = 3 }), staleFirst.ETag),
            DocumentWrite.Put(Kind, "upsert", Body(new { v = 1 }), "*"),
            DocumentWrite.Put(Kind, "create", Body(new { v = 2 }), "*"),
        ], Ct);

        Assert.Equal(6, results.Count);
        Assert.Equal(
            [DocumentWriteFailure.None, DocumentWriteFailure.None, DocumentWriteFailure.None, DocumentWriteFailure.PreconditionFailed, DocumentWriteFailure.None, DocumentWriteFailure.None],
            results.Select(r => r.Failure));
        Assert.Null(results[3].Document);
        Assert.IsType<PreconditionFailedException>(results[3].ToException());
        Assert.Equal(("update", 2, false), (results[1].Document!.Id, V(results[1].Document!), results[1].Document!.Deleted));
        Assert.True(results[2].Document!.Deleted);
        Assert.Equal(Time.GetUtcNow(), results[1].Document!.UpdatedAt);
        Assert.Equal(2, V((await Store.GetAsync(Tenant, Kind, "stale", cancellationToken: Ct))!));
        Assert.Null(await Store.GetAsync(Tenant, DocumentKinds.Agent, "delete", cancellationToken: Ct));
        foreach (var written in new[] { results[1], results[4] }.Select(r => r.Document!))
        {
            Assert.Equal(written.ETag, (await Store.GetAsync(Tenant, written.Kind, written.Id, cancellationToken: Ct))!.ETag);
        }

        // Writes to one document apply in list order: the second write of "create" is its current state.
        Assert.Equal(results[5].Document!.ETag, (await Store.GetAsync(Tenant, Kind, "create", cancellationToken: Ct))!.ETag);
        var expected = new[] { results[1], results[2], results[4], results[5] }.Select(r => r.Document!.ETag).ToList();
        var (changes, _) = await DrainAsync(Tenant, cursor, seen => expected.All(etag => seen.Any(d => d.ETag == etag)));
        Assert.DoesNotContain(changes, d => d.Id == "stale");
        Assert.Equal(results[5].Document!.ETag, changes.Last(d => d.Id == "create").ETag);
        Assert.True(changes.Last(d => d.Id == "delete").Deleted);
    }

    [SkippableFact]
    public async Task WriteMany_CreateOverLiveDeleteMissingAndDeleteTombstone_ConflictAndNotFound()
    {
        await Store.PutAsync(Tenant, Kind, "live", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "gone", Body(new { v = 1 }), null, Ct);
        await Store.DeleteAsync(Tenant, Kind, "gone", "*", Ct);

        var results = await Store.WriteManyAsync(Tenant,
        [
            DocumentWrite.Put(Kind, "live", Body(new { v = 2 }), null),
            DocumentWrite.Delete(Kind, "ghost", "*"),
            DocumentWrite.Delete(Kind, "gone", "*"),
            DocumentWrite.Put(Kind, "gone", Body(new { v = 2 }), null),
        ], Ct);

        Assert.Equal(
            [DocumentWriteFailure.Conflict, DocumentWriteFailure.NotFound, DocumentWriteFailure.NotFound, DocumentWriteFailure.None],
            results.Select(r => r.Failure));
        Assert.IsType<ConflictException>(results[0].ToException());
        Assert.Throws<NotFoundException>(() => results[1].GetDocumentOrThrow());
        Assert.Equal(1, V((await Store.GetAsync(Tenant, Kind, "live", cancellationToken: Ct))!));
        Assert.Null(await Store.GetAsync(Tenant, Kind, "ghost", includeDeleted: true, Ct));
        Assert.Equal(2, V((await Store.GetAsync(Tenant, Kind, "gone", cancellationToken: Ct))!));
    }

    [SkippableFact]
    public async Task WriteMany_EmptyList_ReturnsNoResults()
    {
        Assert.Empty(await Store.WriteManyAsync(Tenant, [], Ct));
    }

    [SkippableFact]
    public async Task WriteMany_DeleteWithoutIfMatch_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteManyAsync(Tenant, [DocumentWrite.Delete(Kind, "p1", null!)], Ct));
    }

    [SkippableFact]
    public async Task GetMany_MissingAndTombstonedIds_OnlyLiveUnlessIncludeDeleted()
    {
        var live = await Store.PutAsync(Tenant, Kind, "live", Body(new { v = 1 }), null, Ct);
        await Store.PutAsync(Tenant, Kind, "gone", Body(new { v = 1 }), null, Ct);
        var tombstone = await Store.DeleteAsync(Tenant, Kind, "gone", "*", Ct);
        await Store.PutAsync(Tenant, DocumentKinds.Agent, "other-kind", Body(new { v = 1 }), null, Ct);
        string[] ids = ["live", "gone", "ghost", "other-kind"];

        var found = await Store.GetManyAsync(Tenant, Kind, ids, cancellationToken: Ct);
        var withDeleted = await Store.GetManyAsync(Tenant, Kind, ids, includeDeleted: true, Ct);

        Assert.Equal(["live"], found.Keys);
        Assert.Equal(live.ETag, found["live"].ETag);
        Assert.Equal((Tenant, Kind, 1), (found["live"].TenantId, found["live"].Kind, V(found["live"])));
        Assert.Equal(["gone", "live"], withDeleted.Keys.Order(StringComparer.Ordinal));
        Assert.True(withDeleted["gone"].Deleted);
        Assert.Equal(tombstone.ETag, withDeleted["gone"].ETag);
        Assert.Empty(await Store.GetManyAsync(Tenant, Kind, [], cancellationToken: Ct));
    }

    [SkippableFact]
    public async Task GetMany_ManyIds_ReturnsEveryOne()
    {
        var writes = Enumerable.Range(0, 250).Select(i => DocumentWrite.Put(DocumentKinds.User, $"u{i:000}", Body(new { v = i }), null)).ToList();
        var written = await Store.WriteManyAsync(Tenant, writes, Ct);
        Assert.All(written, r => Assert.True(r.Succeeded));

        var found = await Store.GetManyAsync(Tenant, DocumentKinds.User, [.. writes.Select(w => w.Id), "u-missing"], cancellationToken: Ct);

        Assert.Equal(250, found.Count);
        Assert.All(written, r => Assert.Equal(r.Document!.ETag, found[r.Document.Id].ETag));
        Assert.Equal(249, V(found["u249"]));
    }

    [SkippableFact]
    public async Task Tenants_AreIsolated()
    {
        var other = "t-" + Guid.NewGuid().ToString("N");
        var otherCursor = await Feed.GetCurrentCursorAsync(other, Ct);
        var mine = await Store.PutAsync(Tenant, Kind, "shared-id", Body(new { v = 1 }), null, Ct);

        Assert.Null(await Store.GetAsync(other, Kind, "shared-id", includeDeleted: true, Ct));
        Assert.Empty((await Store.ListAsync(other, Kind, includeDeleted: true, cancellationToken: Ct)).Items);
        Assert.Empty((await DrainAsync(other, otherCursor)).Changes);
        await Assert.ThrowsAsync<PreconditionFailedException>(() => Store.PutAsync(other, Kind, "shared-id", Body(new { v = 9 }), mine.ETag, Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteAsync(other, Kind, "shared-id", "*", Ct));

        var theirs = await Store.PutAsync(other, Kind, "shared-id", Body(new { v = 2 }), null, Ct);

        Assert.Equal(other, theirs.TenantId);
        Assert.Equal(1, V((await Store.GetAsync(Tenant, Kind, "shared-id", cancellationToken: Ct))!));
        Assert.Equal(2, V((await Store.GetAsync(other, Kind, "shared-id", cancellationToken: Ct))!));
    }

    /// <summary>
    /// Reads until caught up (an empty batch) and <paramref name="until"/> holds. SQLite and the Cosmos polling feed
    /// deliver a commit to the next read; the SDK change feed of a real account or the emulator may deliver it a moment
    /// later, so an empty batch short of <paramref name="until"/> is read again after a pause, a bounded number of times
    /// (counted, not timed: the outcome never depends on how fast the machine is).
    /// </summary>
    protected async Task<(List<StoredDocument> Changes, string Cursor)> DrainAsync(
        string tenant, string cursor, Func<List<StoredDocument>, bool>? until = null, int maxItems = 1000)
    {
        const int MaxEmptyReads = 300;
        var all = new List<StoredDocument>();
        var emptyReads = 0;
        while (true)
        {
            var batch = await Feed.ReadAsync(tenant, cursor, maxItems, Ct);
            Assert.True(batch.Changes.Count <= maxItems);
            all.AddRange(batch.Changes);
            cursor = batch.Cursor;
            if (batch.Changes.Count == 0)
            {
                if (until is null || until(all))
                {
                    return (all, cursor);
                }

                Assert.True(++emptyReads < MaxEmptyReads, $"the change feed did not deliver the expected changes in {MaxEmptyReads} reads");
                // Only a lagging SDK change feed gets here: give the account a moment before the next read.
                await Task.Delay(100, Ct);
            }
        }
    }
}
