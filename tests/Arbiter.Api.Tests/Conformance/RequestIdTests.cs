using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arbiter.Api.Tests.Conformance;

/// <summary>
/// <c>X-Request-ID</c> over a raw socket, so the test sends exactly the bytes it means (HttpClient refuses some):
/// any visible-ASCII value, spaces included, up to 256 characters (the server's documented limit is
/// <see cref="Arbiter.Api.Http.RequestIds.MaxLength"/>) comes back unchanged; a value with control characters or
/// non-ASCII bytes, or a longer one, is replaced by one the server makes.
/// </summary>
public sealed class RequestIdTests(CertificationServer server) : IClassFixture<CertificationServer>
{
    private const string Body = """{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}""";

    /// <summary>Every visible ASCII character and the space, repeated to exactly <paramref name="length"/> characters, not starting or ending with a space.</summary>
    private static string Visible(int length)
    {
        var all = string.Concat(Enumerable.Range(33, 94).Select(c => (char)c)) + " ";
        var text = string.Concat(Enumerable.Repeat(all, length / all.Length + 1))[..length].ToCharArray();
        text[0] = 'a';
        text[^1] = 'z';
        return new string(text);
    }

    public static TheoryData<string> Echoed() => new()
    {
        "7",
        "req 42 from the gateway",
        "bfe9eb29-ab87-4ca3-be83-a1d5d8305716",
        "trace=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01; span \"x\" (retry #2)",
        Visible(95),
        Visible(256),
        Visible(Arbiter.Api.Http.RequestIds.MaxLength),
    };

    [Theory]
    [MemberData(nameof(Echoed))]
    public async Task Evaluate_VisibleAsciiUpToTheLimit_EchoedUnchanged(string requestId)
    {
        var (status, header) = await SendAsync(Encoding.ASCII.GetBytes(requestId));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(requestId, header);
    }

    public static TheoryData<string> Replaced() => new()
    {
        "ctl\u0001char",
        "del\u007fchar",
        "esc\u001b[31mred",
        "nul\u0000byte",
        "caf\u00e9",
        "id-\u4e2d\u6587",
    };

    [Theory]
    [MemberData(nameof(Replaced))]
    public async Task Evaluate_ControlOrNonAscii_ReplacedByAGeneratedId(string requestId)
    {
        var (status, header) = await SendAsync(Encoding.UTF8.GetBytes(requestId));

        // Kestrel may refuse some bytes itself (a 400 before any handler runs); what it must never do is echo them.
        Assert.NotEqual(requestId, header);
        if (status == HttpStatusCode.OK)
            AssertGenerated(header);
    }

    [Fact]
    public async Task Evaluate_OverTheDocumentedLength_Replaced()
    {
        var requestId = Visible(Arbiter.Api.Http.RequestIds.MaxLength + 1);

        var (status, header) = await SendAsync(Encoding.ASCII.GetBytes(requestId));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(requestId, header);
        AssertGenerated(header);
    }

    [Fact]
    public async Task Evaluate_NoRequestId_OneIsMade()
    {
        var (status, header) = await SendAsync(null);

        Assert.Equal(HttpStatusCode.OK, status);
        AssertGenerated(header);
    }

    private static void AssertGenerated(string? header)
    {
        Assert.False(string.IsNullOrEmpty(header), "the response carries no X-Request-ID");
        Assert.True(header.Length <= 256 && header.All(c => c is >= ' ' and < (char)127), $"generated id '{header}' is not visible ASCII");
    }

    /// <summary>Posts the fixture's first rule with the raw header bytes; returns the status and the echoed X-Request-ID.</summary>
    private async Task<(HttpStatusCode Status, string? RequestId)> SendAsync(byte[]? requestId)
    {
        var address = server.BaseAddress;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var head = new MemoryStream();
        void Write(string text) => head.Write(Encoding.ASCII.GetBytes(text));
        Write($"POST {Infrastructure.Pdp.Evaluation} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(Body)}\r\nConnection: close\r\n");
        if (requestId is not null)
        {
            Write("X-Request-ID: ");
            head.Write(requestId);
            Write("\r\n");
        }
        Write("\r\n");
        Write(Body);
        await stream.WriteAsync(head.ToArray());

        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync();
        var lines = response.Split("\r\n");
        var status = (HttpStatusCode)int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var echoed = lines.TakeWhile(l => l.Length > 0).Skip(1)
            .Where(l => l.StartsWith("X-Request-ID:", StringComparison.OrdinalIgnoreCase))
            .Select(l => l["X-Request-ID:".Length..].Trim(' ')).SingleOrDefault();
        return (status, echoed);
    }
}
