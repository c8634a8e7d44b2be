using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Server;

/// <summary>
/// The governance part of a seed file: <c>{"governance": {"afterCertification": {"policies": [...]}}}</c> — policy
/// changes made after the seeded agents were certified, so a fresh demo shows drift findings and open reviews. Read by
/// <see cref="GovernanceSchedule"/> at its first run; a bad part is logged with its path and nothing of it is written.
/// </summary>
public static class SeedGovernance
{
    /// <summary>The policies (id, body) in file order; throws <see cref="JsonException"/> naming the first problem.</summary>
    public static IReadOnlyList<(string Id, JsonElement Body)> ChangesAfterCertification(JsonElement seed)
    {
        if (!seed.TryGetProperty("governance", out var governance))
            return [];
        if (governance.ValueKind != JsonValueKind.Object
            || !governance.TryGetProperty("afterCertification", out var after) || after.ValueKind != JsonValueKind.Object
            || !after.TryGetProperty("policies", out var policies) || policies.ValueKind != JsonValueKind.Array)
            throw new JsonException("/governance must be {\"afterCertification\": {\"policies\": [...]}}");
        var result = new List<(string, JsonElement)>();
        var index = 0;
        foreach (var policy in policies.EnumerateArray())
        {
            var parsed = PolicyParser.Parse(policy);
            if (!parsed.IsValid)
                throw new JsonException($"/governance/afterCertification/policies/{index}{parsed.Problems[0].Path}: {parsed.Problems[0].Message}");
            result.Add((policy.GetProperty("id").GetString()!, policy.Clone()));
            index++;
        }
        return result;
    }
}
