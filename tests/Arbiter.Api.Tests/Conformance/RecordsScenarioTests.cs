using System.Net;
using System.Text.Json;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// The AuthZEN search scenario (subject, resource and action search over registered users and records) and the IdP
/// scenario on the same data, through the HTTP API against our own tenant (Conformance/Records); and search paging:
/// <c>page</c> first, <c>page.limit</c> 0 valid, a token bound to the request it came from.
/// </summary>
public sealed class RecordsScenarioTests(RecordsServer server) : IClassFixture<RecordsServer>
{
    private const string SearchCases = "Records/search.cases.json";
    private const string IdpCases = "Records/idp.cases.json";

    /// <summary>amara is a manager: she may view every one of the 20 records.</summary>
    private const int AllRecords = 20;

    private readonly HttpClient _client = server.Client;

    public static TheoryData<string> Search() => ConformanceCases.Names(SearchCases);

    public static TheoryData<string> Idp() => ConformanceCases.Names(IdpCases);

    [Theory]
    [MemberData(nameof(Search))]
    public Task Search_ScenarioCase_FindsExactlyWhatThePoliciesPermit(string name) => ConformanceCases.RunAsync(_client, SearchCases, name);

    [Theory]
    [MemberData(nameof(Idp))]
    public Task SearchResource_IdpCase_FindsTheRecordsForTheToken(string name) => ConformanceCases.RunAsync(_client, IdpCases, name);

    private static Dictionary<string, object?> AmaraViews(object? page, string subject = "amara", string action = "view") => new()
    {
        ["subject"] = new { type = "user", id = subject },
        ["action"] = new { name = action },
        ["resource"] = new { type = "record" },
        ["page"] = page,
    };

    private static List<string> Ids(Reply reply) => [.. reply.Json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];

    [Fact]
    public async Task SearchResource_PagedByLimit_PagesJoinToTheWholeAnswer()
    {
        var whole = Ids(await _client.PostAsync(Pdp.SearchResource, AmaraViews(null)));
        var joined = new List<string>();
        var counts = new List<int>();
        string? token = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var reply = await _client.PostAsync(Pdp.SearchResource, AmaraViews(token is null ? new { limit = 7 } : new { token, limit = 7 }));
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var page = reply.Json.GetProperty("page");
            Assert.Equal(AllRecords, page.GetProperty("total").GetInt32());
            counts.Add(page.GetProperty("count").GetInt32());
            joined.AddRange(Ids(reply));
            token = page.GetProperty("next_token").GetString();
            if (token == "")
                break;
        }

        Assert.Equal(AllRecords, whole.Count);
        Assert.Equal([7, 7, 6], counts);
        Assert.Equal(whole, joined);
    }

    [Fact]
    public async Task Search_EveryKind_PageIsTheFirstMember()
    {
        var replies = new[]
        {
            await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 2 })),
            await _client.PostAsync(Pdp.SearchSubject, new { subject = new { type = "user" }, action = new { name = "view" }, resource = new { type = "record", id = "r-301" }, page = new { limit = 2 } }),
            await _client.PostAsync(Pdp.SearchAction, new { subject = new { type = "user", id = "amara" }, resource = new { type = "record", id = "r-301" } }),
        };

        Assert.All(replies, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.Status);
            Assert.Equal("page", r.Json.EnumerateObject().First().Name);
        });
    }

    [Fact]
    public async Task SearchResource_LimitZero_ValidWithNoResultsAndTheTotal()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 0 }));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Empty(Ids(reply));
        var page = reply.Json.GetProperty("page");
        Assert.Equal(0, page.GetProperty("count").GetInt32());
        Assert.Equal(AllRecords, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task SearchResource_TokenReplayedUnchanged_SamePageAgain()
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 5 }));
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString()!;

        var second = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { token, limit = 5 }));
        var again = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { token, limit = 5 }));

        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(5, Ids(second).Count);
        Assert.Empty(Ids(first).Intersect(Ids(second)));
        Assert.Equal(Ids(second), Ids(again));
    }

    public static TheoryData<string> ChangedMembers() => ["action", "subject", "resource"];

    [Theory]
    [MemberData(nameof(ChangedMembers))]
    public async Task SearchResource_TokenReplayedWithAChangedMember_400(string changed)
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 5 }));
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString()!;
        Assert.NotEqual("", token);
        var replay = changed switch
        {
            "action" => AmaraViews(new { token, limit = 5 }, action: "edit"),
            "subject" => AmaraViews(new { token, limit = 5 }, subject: "dagny"),
            _ => AmaraViews(new { token, limit = 5 }),
        };
        if (changed == "resource")
            replay["resource"] = new { type = "invoice" };

        var reply = await _client.PostAsync(Pdp.SearchResource, replay);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task SearchResource_TokenReplayedWithAChangedLimit_400()
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 5 }));
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString()!;

        var reply = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { token, limit = 6 }));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }

    [Fact]
    public async Task SearchSubject_TokenFromAnotherSearchKind_400()
    {
        var first = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = 5 }));
        var token = first.Json.GetProperty("page").GetProperty("next_token").GetString()!;

        var reply = await _client.PostAsync(Pdp.SearchSubject, new
        {
            subject = new { type = "user" },
            action = new { name = "view" },
            resource = new { type = "record", id = "r-301" },
            page = new { token, limit = 5 },
        });

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }

    [Fact]
    public async Task SearchResource_ForgedToken_400()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { token = "eyJvZmZzZXQiOjV9", limit = 5 }));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("token", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchResource_NegativeLimit_400NamingTheField()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, AmaraViews(new { limit = -1 }));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("page.limit", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchResource_ResultsPermittedOneByOne_AgreeWithEvaluation()
    {
        var found = Ids(await _client.PostAsync(Pdp.SearchResource, AmaraViews(null, subject: "bastian", action: "edit")));
        var permitted = new List<string>();
        for (var i = 301; i <= 320; i++)
        {
            var id = "r-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if ((await _client.PostAsync(Pdp.Evaluation, Pdp.Request("bastian", "edit", "record", id))).Decision())
                permitted.Add(id);
        }

        Assert.NotEmpty(permitted);
        Assert.Equal(permitted.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SearchCases_Results_ComeFromTheScenarioRulesNotFromOneAnswer()
    {
        // Guards the case file itself: the searches must not all be empty or all be everything.
        using var doc = JsonDocument.Parse(File.ReadAllText(ConformanceCases.PathOf(SearchCases)));
        var sizes = doc.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => c.TryGetProperty("results", out _)).Select(c => c.GetProperty("results").GetArrayLength()).Distinct().Count();
        Assert.True(sizes >= 4, "the search cases should expect result sets of several sizes");
    }
}
