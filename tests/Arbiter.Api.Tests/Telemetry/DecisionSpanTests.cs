using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Arbiter.Api.Tests.Infrastructure;
using Arbiter.Runtime.Decisions;
using Arbiter.Runtime.Telemetry;

namespace Arbiter.Api.Tests.Telemetry;

/// <summary>
/// The spans of the decision endpoints (docs/telemetry.md): a single evaluation is one <c>arbiter.decide</c> span; a batch
/// is one <c>arbiter.decide_batch</c> span for all its items, never a span per item. Each test starts its own parent
/// span, so it reads only the spans of its own request (the server runs in this process, beside other tests).
/// </summary>
public sealed class DecisionSpanTests : IClassFixture<DevelopmentServer>, IDisposable
{
    private const string TestSourceName = "Arbiter.Api.Tests.DecisionSpans";
    private static readonly ActivitySource TestSource = new(TestSourceName);
    private readonly DevelopmentServer _server;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public DecisionSpanTests(DevelopmentServer server)
    {
        _server = server;
        _listener = new ActivityListener
        {
            // By name: reading TestSource here would create it inside this callback, before the listener is registered.
            ShouldListenTo = source => source.Name is ArbiterTelemetry.SourceName or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Posts under a parent span of this test's own, so the spans of this request share its trace id.</summary>
    private async Task<(ActivityTraceId Trace, Reply Reply)> PostInOwnTraceAsync(string path, string body)
    {
        using var parent = TestSource.StartActivity("test")!;
        return (parent.TraceId, await _server.Client.PostAsync(path, body));
    }

    private List<Activity> SpansOf(ActivityTraceId trace) => [.. _stopped.Where(a => a.TraceId == trace && a.Source.Name == ArbiterTelemetry.SourceName)];

    [Fact]
    public async Task Evaluations_BatchOfThree_OneBatchSpanAndNoSpanPerItem()
    {
        const string body = """
            {
              "subject": { "type": "user", "id": "bob" },
              "action": { "name": "agent.invoke" },
              "evaluations": [
                { "resource": { "type": "agent", "id": "hr-assistant" } },
                { "resource": { "type": "agent", "id": "general-assistant" } },
                { "subject": { "type": "user", "id": "alice" }, "resource": { "type": "agent", "id": "hr-assistant" } }
              ]
            }
            """;
        var (trace, reply) = await PostInOwnTraceAsync(Pdp.Evaluations, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var spans = SpansOf(trace);
        var batch = Assert.Single(spans);
        Assert.Equal(Decider.BatchSpan, batch.OperationName);
        Assert.Equal(3, batch.GetTagItem("arbiter.batch.size"));
        Assert.Equal(3, batch.GetTagItem("arbiter.batch.decided"));
        Assert.Equal(2, batch.GetTagItem("arbiter.batch.permits"));
        Assert.NotNull(batch.GetTagItem("arbiter.snapshot_version"));
    }

    [Fact]
    public async Task Evaluation_Single_OneDecideSpanWithItsOutcome()
    {
        const string body = """
            { "subject": { "type": "user", "id": "bob" }, "action": { "name": "agent.invoke" }, "resource": { "type": "agent", "id": "general-assistant" } }
            """;
        var (trace, reply) = await PostInOwnTraceAsync(Pdp.Evaluation, body);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var decide = Assert.Single(SpansOf(trace));
        Assert.Equal(Decider.DecideSpan, decide.OperationName);
        Assert.Equal("permit", decide.GetTagItem("arbiter.decision"));
        Assert.Equal(32, Assert.IsType<string>(decide.GetTagItem("arbiter.decision_id")).Length);
    }
}
