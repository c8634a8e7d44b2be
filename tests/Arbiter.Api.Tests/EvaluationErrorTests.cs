using System.Net;
using System.Text;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>Bad input on <c>/evaluation</c>: 400 problem+json naming the field (a wrong content type too), 413, depth; never a 500.</summary>
public sealed class EvaluationErrorTests(SmallLimitsServer server) : IClassFixture<SmallLimitsServer>
{
    private readonly HttpClient _client = server.Client;

    public static TheoryData<string, string> MissingMembers => new()
    {
        { """{"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject" },
        { """{"subject":{"type":"user","id":"alice"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/action" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"}}""", "/resource" },
        { """{"subject":{"type":"user"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/id" },
        { """{"subject":{"id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/type" },
        { """{"subject":{"type":"user","id":"alice"},"action":{},"resource":{"type":"agent","id":"hr-assistant"}}""", "/action/name" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent"}}""", "/resource/id" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"id":"hr-assistant"}}""", "/resource/type" },
        { """{"subject":{"type":"user","id":""},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/id" },
        { """{"subject":{"type":"user","id":42},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/id" },
        { """{"subject":"alice","action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject" },
        { """{"subject":null,"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":[1]}""", "/context" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":{"type":"agent"}}}""", "/context/agent/id" },
        { """{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":"hr-assistant"}}""", "/context/agent" },
        { """{"subject":{"type":"user","id":"alice","properties":[]},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""", "/subject/properties" },
    };

    [Theory]
    [MemberData(nameof(MissingMembers))]
    public async Task Evaluation_MissingOrMistypedRequiredMember_400ProblemNamingField(string body, string field)
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        var problem = reply.Json;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData("text/json-ish")]
    public async Task Evaluation_WrongContentType_400NamingContentType(string contentType)
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, """{"subject":{"type":"user","id":"alice"}}""", contentType);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Equal("Content-Type", reply.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Evaluation_NoContentType_400()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{}"));

        var reply = await _client.SendAsync(Pdp.Evaluation, content);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }

    [Fact]
    public async Task Evaluation_BodyOverLimitWithContentLength_413()
    {
        var padding = new string('a', SmallLimitsServer.MaxBodyBytes + 10);
        var body = $$"""{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"pad":"{{padding}}"}""";

        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains(SmallLimitsServer.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluation_ChunkedBodyOverLimit_413()
    {
        var padding = new string('a', SmallLimitsServer.MaxBodyBytes * 4);
        var bytes = Encoding.UTF8.GetBytes($$"""{"pad":"{{padding}}"}""");
        var content = new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var reply = await _client.SendAsync(Pdp.Evaluation, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
    }

    [Fact]
    public async Task Evaluation_BodyJustUnderLimit_Evaluated()
    {
        var head = "{\"subject\":{\"type\":\"user\",\"id\":\"alice\"},\"action\":{\"name\":\"agent.invoke\"},\"resource\":{\"type\":\"agent\",\"id\":\"hr-assistant\"},\"pad\":\"";
        var padding = new string('a', SmallLimitsServer.MaxBodyBytes - head.Length - 2);
        var body = head + padding + "\"}";
        Assert.Equal(SmallLimitsServer.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));

        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Fact]
    public async Task Evaluation_NestedDeeperThanLimit_400()
    {
        var deep = new string('[', SmallLimitsServer.MaxJsonDepth + 5) + new string(']', SmallLimitsServer.MaxJsonDepth + 5);
        var body = """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"x":""" + deep + """}}""";

        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains("nested deeper", reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluation_NestedExactlyAtLimit_Evaluated()
    {
        // root object (1) + context (2) + arrays up to the limit
        var arrays = SmallLimitsServer.MaxJsonDepth - 2;
        var body = """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"x":"""
            + new string('[', arrays) + new string(']', arrays) + "}}";

        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Decision());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"subject\": }")]
    [InlineData("{'subject': 1}")]
    [InlineData("not json at all")]
    [InlineData("{\"a\":1}}")]
    [InlineData("{\"a\":1,}")]
    public async Task Evaluation_InvalidJson_400(string body)
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
        Assert.Contains("not valid JSON", reply.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"evaluation\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("")]
    public async Task Evaluation_BodyNotAnObject_400(string body)
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("application/problem+json", reply.ContentType);
    }

    [Fact]
    public async Task Evaluations_BodyOverLimit_413()
    {
        var reply = await _client.PostAsync(Pdp.Evaluations, $$"""{"pad":"{{new string('b', SmallLimitsServer.MaxBodyBytes)}}"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
    }

    [Fact]
    public async Task Search_WrongContentType_400()
    {
        var reply = await _client.PostAsync(Pdp.SearchResource, "{}", "text/plain");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }

    /// <summary>A body without a Content-Length, so the server meets the limit while reading (chunked transfer).</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
