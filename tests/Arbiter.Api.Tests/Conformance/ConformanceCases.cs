using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// Request/expected-answer files (<c>*.cases.json</c>): each case posts <c>request</c> to <c>/access/v1/{endpoint}</c>
/// and expects <c>status</c> (200 unless given; a 400 must be a problem document), then, on a 200, any of:
/// <c>response</c> — the whole body, compared exactly (what a minimal PEP reads); <c>includes</c> — members that must
/// be there with these values (arrays element by element, same length); <c>results</c> — the search results as a set.
/// </summary>
public static class ConformanceCases
{
    public const string AccessPrefix = "/access/v1/";

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Conformance", file);

    public static TheoryData<string> Names(string file)
    {
        var names = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(file)));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    public static async Task RunAsync(HttpClient client, string file, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(file)));
        var vector = doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var endpoint = vector.GetProperty("endpoint").GetString()!;

        var reply = await client.PostAsync(AccessPrefix + endpoint, vector.GetProperty("request").GetRawText());

        var status = vector.TryGetProperty("status", out var s) ? (HttpStatusCode)s.GetInt32() : HttpStatusCode.OK;
        Assert.True(status == reply.Status, $"expected {(int)status}, got {(int)reply.Status}: {reply.Text}");
        if (status != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", reply.ContentType);
            return;
        }
        var body = reply.Json;
        if (vector.TryGetProperty("response", out var response))
            Assert.True(Same(response, body), $"expected exactly {response.GetRawText()}\n     got {reply.Text}");
        if (vector.TryGetProperty("includes", out var includes))
            Assert.True(Includes(includes, body), $"expected at least {includes.GetRawText()}\n     got {reply.Text}");
        if (vector.TryGetProperty("results", out var results))
        {
            var found = body.GetProperty("results").EnumerateArray().Select(Canonical).ToList();
            Assert.True(found.Distinct().Count() == found.Count, $"results repeat an entry: {reply.Text}");
            Assert.Equal(results.EnumerateArray().Select(Canonical).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        }
    }

    /// <summary>JSON equality: same members (in any order) with the same values; arrays in the same order.</summary>
    public static bool Same(JsonElement expected, JsonElement actual) => expected.ValueKind == actual.ValueKind && expected.ValueKind switch
    {
        JsonValueKind.Object => expected.EnumerateObject().Count() == actual.EnumerateObject().Count()
            && expected.EnumerateObject().All(m => actual.TryGetProperty(m.Name, out var a) && Same(m.Value, a)),
        JsonValueKind.Array => expected.GetArrayLength() == actual.GetArrayLength()
            && expected.EnumerateArray().Zip(actual.EnumerateArray()).All(p => Same(p.First, p.Second)),
        JsonValueKind.Number => expected.GetDecimal() == actual.GetDecimal(),
        JsonValueKind.String => expected.GetString() == actual.GetString(),
        _ => true,
    };

    /// <summary>Every member <paramref name="expected"/> names is in <paramref name="actual"/> with a value it includes.</summary>
    public static bool Includes(JsonElement expected, JsonElement actual) => expected.ValueKind switch
    {
        JsonValueKind.Object => actual.ValueKind == JsonValueKind.Object
            && expected.EnumerateObject().All(m => actual.TryGetProperty(m.Name, out var a) && Includes(m.Value, a)),
        JsonValueKind.Array => actual.ValueKind == JsonValueKind.Array && expected.GetArrayLength() == actual.GetArrayLength()
            && expected.EnumerateArray().Zip(actual.EnumerateArray()).All(p => Includes(p.First, p.Second)),
        _ => Same(expected, actual),
    };

    /// <summary>An entity or action as one comparable string (members sorted, values as sent).</summary>
    public static string Canonical(JsonElement element) =>
        string.Join(",", element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => m.Name + "=" + m.Value.GetRawText()));
}
