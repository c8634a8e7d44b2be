using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Runtime.Policies;

/// <summary>
/// Every saved state of a policy is kept as an immutable <c>policyVersion</c> document (<c>{policyId}@{version:D6}</c>).
/// The version is written <em>before</em> the policy: a process that dies between the two leaves at most a version
/// that never took effect, never an enforced policy without its history. A policy write that is refused (stale ETag,
/// already exists) withdraws the version it had recorded.
/// </summary>
public sealed class PolicyVersions(IDocumentStore store, TimeProvider time)
{
    public async Task<IReadOnlyList<PolicyVersion>> ListAsync(string tenantId, string policyId, CancellationToken cancellationToken)
    {
        var prefix = policyId + "@";
        var versions = new List<PolicyVersion>();
        await foreach (var doc in store.ListAllAsync(tenantId, DocumentKinds.PolicyVersion, 500, cancellationToken))
        {
            if (!doc.Id.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var b = doc.Body;
            versions.Add(new PolicyVersion(
                b.GetProperty("version").GetInt32(),
                b.GetProperty("savedAt").GetDateTimeOffset(),
                b.GetProperty("savedBy").GetString() ?? "",
                b.GetProperty("change").GetString() ?? "",
                b.TryGetProperty("policy", out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null));
        }
        return [.. versions.OrderBy(v => v.Version)];
    }

    /// <summary>Records the new version, then writes the policy with <paramref name="ifMatch"/> (null: create-only). Store exceptions of the policy write propagate.</summary>
    public async Task<StoredDocument> SaveAsync(string tenantId, string policyId, JsonElement policy, string? ifMatch, string change, string savedBy, CancellationToken cancellationToken)
    {
        var version = await RecordAsync(tenantId, policyId, policy, change, savedBy, cancellationToken);
        try
        {
            return await store.PutAsync(tenantId, DocumentKinds.Policy, policyId, policy, ifMatch, cancellationToken);
        }
        catch (Exception e) when (e is PreconditionFailedException or ConflictException)
        {
            await WithdrawAsync(tenantId, version, cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// Read-modify-write of a policy under its ETag, each attempt versioned: <paramref name="change"/> gets the policy as
    /// stored now (null when absent) and returns the new body (null: nothing to write); <paramref name="describe"/> names
    /// the change for the history (it gets the same document, e.g. to say create or update).
    /// </summary>
    public Task<DocumentUpdate> UpdateAsync(string tenantId, string policyId, Func<StoredDocument?, JsonElement?> change,
        Func<StoredDocument?, string> describe, string savedBy, CancellationToken cancellationToken) =>
        store.UpdateAsync(tenantId, DocumentKinds.Policy, policyId, change,
            (current, body) => SaveAsync(tenantId, policyId, body, current?.ETag, describe(current), savedBy, cancellationToken),
            cancellationToken: cancellationToken);

    /// <summary>Records the deletion, then deletes the policy under <paramref name="ifMatch"/>. Store exceptions propagate.</summary>
    public async Task DeleteAsync(string tenantId, string policyId, string ifMatch, string savedBy, CancellationToken cancellationToken)
    {
        var version = await RecordAsync(tenantId, policyId, null, "delete", savedBy, cancellationToken);
        try
        {
            await store.DeleteAsync(tenantId, DocumentKinds.Policy, policyId, ifMatch, cancellationToken);
        }
        catch (Exception e) when (e is PreconditionFailedException or NotFoundException)
        {
            await WithdrawAsync(tenantId, version, cancellationToken);
            throw;
        }
    }

    private async Task<StoredDocument> RecordAsync(string tenantId, string policyId, JsonElement? policy, string change, string savedBy, CancellationToken cancellationToken)
    {
        var existing = await ListAsync(tenantId, policyId, cancellationToken);
        var version = existing.Count == 0 ? 1 : existing[^1].Version + 1;
        while (true)
        {
            var body = new JsonObject
            {
                ["policyId"] = policyId,
                ["version"] = version,
                ["savedAt"] = time.GetUtcNow(),
                ["savedBy"] = savedBy,
                ["change"] = change,
                ["policy"] = policy is { } p ? JsonNode.Parse(p.GetRawText()) : null,
            };
            try
            {
                return await store.PutAsync(tenantId, DocumentKinds.PolicyVersion, $"{policyId}@{version.ToString("D6", CultureInfo.InvariantCulture)}",
                    JsonSerializer.SerializeToElement(body, RuntimeJsonContext.Default.JsonObject), null, cancellationToken);
            }
            catch (ConflictException)
            {
                version++; // another writer recorded this number first (or a withdrawn version holds it); versions stay unique and ordered
            }
        }
    }

    private async Task WithdrawAsync(string tenantId, StoredDocument version, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(tenantId, DocumentKinds.PolicyVersion, version.Id, version.ETag, cancellationToken);
        }
        catch (StoreException)
        {
            // Left behind, it records a change that did not happen; the policy itself is untouched either way.
        }
    }
}
