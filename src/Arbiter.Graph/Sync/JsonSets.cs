using System.Text.Json.Nodes;

namespace Arbiter.Graph.Sync;

/// <summary>String sets in document bodies (member lists, tags, sponsors): read as sorted sets, written back as arrays.</summary>
internal static class JsonSets
{
    public static SortedSet<string> Read(JsonNode? node)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if ((string?)item is { } value)
                {
                    set.Add(value);
                }
            }
        }

        return set;
    }

    public static JsonArray ToArray(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var value in values)
        {
            array.Add(value);
        }

        return array;
    }
}
