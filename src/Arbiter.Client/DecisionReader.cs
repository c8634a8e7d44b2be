using System.Text.Json;

namespace Arbiter.Client;

/// <summary>
/// Reads one AuthZEN decision member by member: anything missing or of the wrong shape is a deny with a reason, and a
/// permit carrying an obligation type outside <c>understood</c> is a deny (the caller cannot honour it).
/// </summary>
internal static class DecisionReader
{
    public static AccessDecision Read(JsonElement element, IReadOnlySet<string> understood)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("decision", out var decision)
            || decision.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            return AccessDecision.Failed(DecisionFailure.InvalidResponse, "Arbiter's answer carries no boolean 'decision'");

        var allowed = decision.GetBoolean();
        string? decisionId = null, reasonUser = null, reasonAdmin = null;
        var obligations = new List<Obligation>();
        if (element.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object)
        {
            decisionId = String(context, "decision_id");
            reasonUser = Reason(context, "reason_user");
            reasonAdmin = Reason(context, "reason_admin");
            if (context.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                return AccessDecision.Failed(DecisionFailure.Rejected, "Arbiter refused this evaluation: " + (String(error, "message") ?? "no message"), decisionId);
            if (context.TryGetProperty("obligations", out var list) && list.ValueKind != JsonValueKind.Null)
            {
                if (list.ValueKind != JsonValueKind.Array)
                    return AccessDecision.Failed(DecisionFailure.InvalidResponse, "Arbiter's 'obligations' is not an array", decisionId);
                foreach (var item in list.EnumerateArray())
                {
                    var type = item.ValueKind == JsonValueKind.Object ? String(item, "type") : null;
                    if (string.IsNullOrEmpty(type))
                        return AccessDecision.Failed(DecisionFailure.InvalidResponse, "an obligation in Arbiter's answer has no type", decisionId);
                    var properties = item.TryGetProperty("properties", out var p) ? p.Clone() : default;
                    obligations.Add(new Obligation(String(item, "id") ?? type, type, properties));
                }
            }
        }

        if (allowed)
        {
            foreach (var obligation in obligations)
            {
                if (!understood.Contains(obligation.Type))
                    return AccessDecision.Failed(DecisionFailure.UnknownObligation, $"the permit carries obligation '{obligation.Id}' of type '{obligation.Type}', which this enforcement point does not honour", decisionId);
            }
        }

        return new AccessDecision
        {
            Allowed = allowed,
            DecisionId = decisionId,
            ReasonUser = reasonUser ?? (allowed ? null : "Access denied."),
            ReasonAdmin = reasonAdmin,
            Obligations = allowed ? obligations : [],
        };
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The spec's language-keyed reasons (<c>{"en": "..."}</c>, <c>{"en-403": "..."}</c>): the English one, else the first.</summary>
    private static string? Reason(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString();
        if (value.ValueKind != JsonValueKind.Object)
            return null;
        string? first = null;
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                continue;
            if (property.Name.StartsWith("en", StringComparison.Ordinal))
                return property.Value.GetString();
            first ??= property.Value.GetString();
        }
        return first;
    }
}
