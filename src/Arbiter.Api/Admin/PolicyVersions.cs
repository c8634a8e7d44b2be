using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbiter.Store;

namespace Arbiter.Api.Admin;

/// <summary>
/// Every saved state of a policy is kept as an immutable <c>policyVersion</c> document (<c>{policyId}@{version:D6}</c>),
/// written after the policy itself succeeded (so a stale writer, refused with 412, leaves no version behind).
/// </summary>
public sealed class PolicyVersions(IDocumentStore store, TimeProvider time)
{
    public async Task<IReadOnlyList<PolicyVersionDto>> ListAsync(string tenantId, string policyId, CancellationToken cancellationToken)
    {
        var prefix = policyId + "@";
        var versions = new List<PolicyVersionDto>();
        await foreach (var doc in store.ListAllAsync(tenantId, DocumentKinds.PolicyVersion, 500, cancellationToken))
        {
            if (!doc.Id.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var b = doc.Body;
            versions.Add(new PolicyVersionDto(
                b.GetProperty("version").GetInt32(),
                b.GetProperty("savedAt").GetDateTimeOffset(),
                b.GetProperty("savedBy").GetString() ?? "",
                b.GetProperty("change").GetString() ?? "",
                b.TryGetProperty("policy", out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null));
        }
        return [.. versions.OrderBy(v => v.Version)];
    }

    public async Task<int> RecordAsync(string tenantId, string policyId, JsonElement? policy, string change, string savedBy, CancellationToken cancellationToken)
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
                await store.PutAsync(tenantId, DocumentKinds.PolicyVersion, $"{policyId}@{version.ToString("D6", CultureInfo.InvariantCulture)}",
                    JsonSerializer.SerializeToElement(body, Decisions.ApiJsonContext.Wire.JsonObject), null, cancellationToken);
                return version;
            }
            catch (ConflictException)
            {
                version++; // another writer recorded this number first; versions stay unique and ordered
            }
        }
    }
}
