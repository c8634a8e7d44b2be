using System.Text.Json;
using Microsoft.Kiota.Abstractions.Serialization;

namespace Arbiter.Graph.Sync;

/// <summary>
/// Reads the delta annotations the typed SDK leaves in <c>AdditionalData</c> (<c>@removed</c>, <c>members@delta</c>).
/// Kiota stores them as untyped nodes; a <see cref="JsonElement"/> is accepted too.
/// </summary>
internal static class GraphPayload
{
    public const string RemovedKey = "@removed";
    public const string MembersDeltaKey = "members@delta";

    public static bool IsRemoved(IDictionary<string, object>? additionalData) =>
        additionalData is not null && additionalData.TryGetValue(RemovedKey, out var value) && value is not null;

    public static List<MemberDelta> MembersDelta(IDictionary<string, object>? additionalData)
    {
        var result = new List<MemberDelta>();
        if (additionalData is null || !additionalData.TryGetValue(MembersDeltaKey, out var value) || value is null)
        {
            return result;
        }

        switch (value)
        {
            case UntypedArray array:
                foreach (var node in array.GetValue())
                {
                    if (node is UntypedObject obj)
                    {
                        var props = obj.GetValue();
                        var id = props.TryGetValue("id", out var idNode) ? (idNode as UntypedString)?.GetValue() : null;
                        var type = props.TryGetValue("@odata.type", out var typeNode) ? (typeNode as UntypedString)?.GetValue() : null;
                        var removed = props.TryGetValue(RemovedKey, out var removedNode) && removedNode is not null and not UntypedNull;
                        Add(result, id, type, removed);
                    }
                }

                break;
            case JsonElement { ValueKind: JsonValueKind.Array } element:
                foreach (var item in element.EnumerateArray())
                {
                    var id = item.TryGetProperty("id", out var idProp) ? idProp.GetString() : null;
                    var type = item.TryGetProperty("@odata.type", out var typeProp) ? typeProp.GetString() : null;
                    var removed = item.TryGetProperty(RemovedKey, out var removedProp) && removedProp.ValueKind != JsonValueKind.Null;
                    Add(result, id, type, removed);
                }

                break;
        }

        return result;
    }

    private static void Add(List<MemberDelta> result, string? id, string? type, bool removed)
    {
        if (string.IsNullOrEmpty(id))
        {
            return;
        }

        // Members are users, groups, devices, service principals...; only users and groups feed decisions.
        var isGroup = string.Equals(type, "#microsoft.graph.group", StringComparison.OrdinalIgnoreCase);
        var isUser = string.Equals(type, "#microsoft.graph.user", StringComparison.OrdinalIgnoreCase);
        if (isGroup || isUser)
        {
            result.Add(new MemberDelta(id, isGroup, removed));
        }
    }
}
