using System.Globalization;
using System.Text.Json;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Arbiter.Api.Security;
using Arbiter.Runtime.Audit;
using Arbiter.Runtime.Snapshots;
using Arbiter.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Arbiter.Api.Admin;

/// <summary>
/// What the admin areas share: paged lists, reads, ETag writes and deletes of store documents, each write audited and
/// followed by a refresh of this instance's snapshot; the ETag and If-Match conventions of the wire.
/// </summary>
public sealed class AdminDocuments(IDocumentStore store, AuditLog audit, TenantSnapshots snapshots)
{
    /// <summary>Not "admin": the Functions host reserves that route prefix for its own admin API.</summary>
    public const string Prefix = "manage/v1";

    public async Task<Results<JsonHttpResult<DocumentListDto>, ProblemHttpResult>> ListAsync(HttpContext context, Caller caller, string kind, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var limit = 100;
        if (query["limit"].Count > 0 && (!int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            return Problems.BadRequest("'limit' must be a number from 1 to 1000", "limit");
        var continuation = query["continuation"].ToString();
        try
        {
            var page = await store.ListAsync(caller.TenantId, kind, continuation.Length == 0 ? null : continuation, limit, false, cancellationToken);
            return TypedResults.Json(new DocumentListDto([.. page.Items.Select(ToDto)], page.Continuation), ApiJsonContext.Wire.DocumentListDto);
        }
        catch (Exception e) when (e is ArgumentException or FormatException || (e is StoreException && e is not StoreUnavailableException))
        {
            return Problems.BadRequest("the continuation token is not one this service issued", "continuation");
        }
    }

    public async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> GetAsync(HttpContext context, Caller caller, string kind, string id, CancellationToken cancellationToken)
    {
        var document = await store.GetAsync(caller.TenantId, kind, id, cancellationToken: cancellationToken);
        if (document is null)
            return Problems.NotFound($"{kind} '{id}' does not exist");
        return Document(context, document, StatusCodes.Status200OK);
    }

    /// <summary>Writes with If-Match (null: create-only) through <paramref name="write"/> (default: a plain put), audits, refreshes.</summary>
    public async Task<Results<JsonHttpResult<DocumentDto>, ProblemHttpResult>> WriteAsync(HttpContext context, Caller caller, string kind, string id, JsonElement item, string? ifMatch, string action,
        CancellationToken cancellationToken, Func<Task<StoredDocument>>? write = null)
    {
        StoredDocument saved;
        try
        {
            saved = write is null ? await store.PutAsync(caller.TenantId, kind, id, item, ifMatch, cancellationToken) : await write();
        }
        catch (PreconditionFailedException)
        {
            return Problems.PreconditionFailed($"{kind} '{id}' changed since the ETag given in If-Match was read; read it again and retry");
        }
        catch (ConflictException)
        {
            return Problems.Conflict($"{kind} '{id}' already exists; update it with PUT and If-Match");
        }
        await AuditAsync(caller, action, kind, id, cancellationToken);
        await snapshots.RefreshQuietlyAsync(caller.TenantId, cancellationToken);
        return Document(context, saved, ifMatch is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Caller caller, string kind, string id, string ifMatch, CancellationToken cancellationToken, Func<Task>? delete = null)
    {
        try
        {
            if (delete is null)
                await store.DeleteAsync(caller.TenantId, kind, id, ifMatch, cancellationToken);
            else
                await delete();
        }
        catch (NotFoundException)
        {
            return Problems.NotFound($"{kind} '{id}' does not exist");
        }
        catch (PreconditionFailedException)
        {
            return Problems.PreconditionFailed($"{kind} '{id}' changed since the ETag given in If-Match was read");
        }
        await AuditAsync(caller, "delete", kind, id, cancellationToken);
        await snapshots.RefreshQuietlyAsync(caller.TenantId, cancellationToken);
        return TypedResults.NoContent();
    }

    public Task AuditAsync(Caller caller, string action, string kind, string id, CancellationToken cancellationToken) =>
        audit.RecordAsync(caller.TenantId, caller.Id, action, kind, id, cancellationToken: cancellationToken);

    public static DocumentDto ToDto(StoredDocument d) => new(d.Id, d.ETag, d.UpdatedAt, d.Body);

    public static JsonHttpResult<DocumentDto> Document(HttpContext context, StoredDocument document, int status)
    {
        context.Response.Headers.ETag = "\"" + document.ETag + "\"";
        return TypedResults.Json(ToDto(document), ApiJsonContext.Wire.DocumentDto, statusCode: status);
    }

    /// <summary>The If-Match ETag, or a 428 problem when the header is missing.</summary>
    public static bool TryIfMatch(HttpContext context, out string? ifMatch, out ProblemHttpResult? missing)
    {
        ifMatch = null;
        missing = null;
        var header = context.Request.Headers.IfMatch.ToString();
        if (header.Length == 0)
        {
            missing = Problems.Status(StatusCodes.Status428PreconditionRequired, "Precondition required",
                "send If-Match with the ETag you last read (or * to overwrite whatever is there)");
            return false;
        }
        ifMatch = Unquote(header);
        return true;
    }

    /// <summary>The If-Match ETag when given, else null.</summary>
    public static string? OptionalIfMatch(HttpContext context) =>
        context.Request.Headers.IfMatch.Count > 0 ? Unquote(context.Request.Headers.IfMatch.ToString()) : null;

    private static string Unquote(string etag)
    {
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return value.Trim('"');
    }
}
