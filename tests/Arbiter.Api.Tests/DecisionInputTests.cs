using System.Text;
using Arbiter.Api.Decisions;
using Arbiter.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arbiter.Api.Tests;

/// <summary>
/// <see cref="DecisionInput"/>: the body of the usual shape is read in one pass; any other is read the strict way, which
/// refuses what it refused before.
/// </summary>
public sealed class DecisionInputTests
{
    private const string Usual =
        """{"evaluations":[{"subject":{"type":"user","id":"alice"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"hr-lookup"},"context":{"agent":{"type":"agent","id":"hr-assistant"}}}]}""";

    private static DefaultHttpContext Request(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(new JsonBody(Options.Create(new ArbiterOptions()))).BuildServiceProvider(),
        };
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        return context;
    }

    [Fact]
    public async Task ReadAsync_UsualShape_ReadInOnePass()
    {
        var input = await DecisionInput.ReadAsync(Request(Usual), CancellationToken.None);

        Assert.NotNull(input.Read);
        Assert.Equal("hr-assistant", Assert.Single(input.Read.Items).AgentId);
        // a handler that needs the document still gets it, from the same bytes
        Assert.Equal(1, input.Json.Root.GetProperty("evaluations").GetArrayLength());
    }

    [Fact]
    public async Task ReadAsync_MemberTheOnePassReaderDoesNotKnow_ReadTheStrictWay()
    {
        var input = await DecisionInput.ReadAsync(Request(Usual.Insert(1, "\"page\":{\"limit\":1},")), CancellationToken.None);

        Assert.Null(input.Read);
        Assert.Equal(1, input.Json.Root.GetProperty("page").GetProperty("limit").GetInt32());
    }

    [Theory]
    [InlineData("""{"evaluations":[],"evaluations":[]}""")]
    [InlineData("""{"subject":{"type":"user","id":"alice"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"x":"\ud800"}}""")]
    [InlineData("""{"subject":{"type":"user","id":"alice"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}} []""")]
    public async Task ReadAsync_BodyTheStrictReaderRefuses_Refused(string body)
    {
        await Assert.ThrowsAsync<ProblemException>(() => DecisionInput.ReadAsync(Request(body), CancellationToken.None));
    }
}
