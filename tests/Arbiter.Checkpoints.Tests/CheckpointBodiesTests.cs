using System.Text;
using System.Text.Json;
using Arbiter.Runtime.Snapshots.Checkpoints;

namespace Arbiter.Checkpoints.Tests;

/// <summary>The bodies parsed on a worker while the caller consumes them (<see cref="CheckpointBodies"/>).</summary>
public sealed class CheckpointBodiesTests
{
    private static CheckpointDocument[] Documents(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new CheckpointDocument("user", $"u{i:D5}", $"e{i}", Encoding.UTF8.GetBytes($$"""{"enabled":true,"n":{{i}}}""")))];

    [Fact]
    public void Parse_ManyChunks_GivesEveryDocumentOnceWithItsBody()
    {
        var documents = Documents(5_000);

        var parsed = CheckpointBodies.Parse(documents, CancellationToken.None).ToList();

        Assert.Equal(documents.Length, parsed.Count);
        Assert.Equal(documents.Select(d => d.Id).Order(StringComparer.Ordinal), parsed.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.All(parsed, p => Assert.Equal(int.Parse(p.Id[1..], System.Globalization.CultureInfo.InvariantCulture), p.Body!.Value.GetProperty("n").GetInt32()));
    }

    [Fact]
    public void Parse_ABodyThatIsNotJson_EndsTheEnumerationWithItsError()
    {
        var documents = Documents(2_000);
        documents[1_500] = documents[1_500] with { Body = "{\"enabled\":"u8.ToArray() };

        Assert.ThrowsAny<JsonException>(() => CheckpointBodies.Parse(documents, CancellationToken.None).ToList());
    }

    [Fact]
    public void Parse_ConsumerStopsEarly_ReturnsWithoutWaitingForTheRest()
    {
        var documents = Documents(50_000);

        var first = CheckpointBodies.Parse(documents, CancellationToken.None).Take(10).ToList();

        // Returning at all is the point: the worker was told to stop and was waited for (no hang, no parse left running).
        Assert.Equal(10, first.Count);
    }

    [Fact]
    public void Parse_Cancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => CheckpointBodies.Parse(Documents(2_000), cancelled.Token).ToList());
    }
}
