using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Arbiter.Api.Tests.Infrastructure;

namespace Arbiter.Api.Tests;

/// <summary>
/// A string that cannot become a .NET string (a lone surrogate escape, bytes that are not UTF-8) is a 400 naming where it
/// is, whichever case the escape is written in and whether the body comes with a Content-Length or chunked; a surrogate
/// pair and an escaped backslash before a <c>u</c> are ordinary strings.
/// </summary>
public sealed class UndecodableStringTests(DevelopmentServer server) : IClassFixture<DevelopmentServer>
{
    private const string Before = """{"subject":{"type":"user","id":"alice"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"},"context":{"note":""";

    public static TheoryData<string, string> LoneSurrogates => new()
    {
        { "\"\\ud800\"", "/context/note" },
        { "\"\\uD800\"", "/context/note" },
        { "\"ok \\uDFFF\"", "/context/note" },
        { "[\"a\",\"\\uDbFf\"]", "/context/note/1" },
        { "{\"k\":\"\\udc00\\ud800\"}", "/context/note/k" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task Evaluate_LoneSurrogateEscape_400NamingThePath(string value, string path)
    {
        foreach (var chunked in new[] { false, true })
        {
            var reply = await PostAsync(Encoding.UTF8.GetBytes(Before + value + "}}"), chunked);

            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.Equal(path, reply.Json.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Evaluate_BytesThatAreNotUtf8InAString_400()
    {
        var body = Encoding.UTF8.GetBytes(Before + "\"x\"}}");
        body[body.Length - 4] = 0xC3; // a lead byte with no continuation: the 'x' of the note becomes invalid UTF-8

        var reply = await PostAsync(body, chunked: false);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }

    [Theory]
    [InlineData("\"\\ud83d\\ude00\"")] // a surrogate pair: 😀
    [InlineData("\"\\\\ud800\"")] // an escaped backslash, then the letters u d 8 0 0
    [InlineData("\"caf\u00e9 \\u00e9\"")]
    public async Task Evaluate_DecodableString_Decided(string value)
    {
        var reply = await PostAsync(Encoding.UTF8.GetBytes(Before + value + "}}"), chunked: false);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.True(reply.Json.GetProperty("decision").GetBoolean());
    }

    private Task<Reply> PostAsync(byte[] body, bool chunked)
    {
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (chunked)
            content.Headers.ContentLength = null;
        return server.Client.SendAsync(Pdp.Evaluation, content);
    }
}
