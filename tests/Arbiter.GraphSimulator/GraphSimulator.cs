using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbiter.GraphSimulator;

/// <summary>What a fault does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>429 with <c>Retry-After</c>.</summary>
    TooManyRequests,

    /// <summary>503 with <c>Retry-After</c>.</summary>
    ServiceUnavailable,

    /// <summary>410 Gone with error code <c>syncStateNotFound</c>.</summary>
    Gone,

    /// <summary>Sends the headers and half the body, then aborts the connection.</summary>
    DropConnection,
}

/// <summary>
/// An injected fault: applies to the next <paramref name="Count"/> requests whose path and query contain
/// <paramref name="PathContains"/> (any request when null), after letting <paramref name="Skip"/> matching requests through.
/// </summary>
public sealed record SimulatorFault(FaultKind Kind, int Count = 1, string? PathContains = null, int Skip = 0, int RetryAfterSeconds = 1);

/// <summary>One request the simulator answered.</summary>
public sealed record SimulatorRequest(string PathAndQuery, int Status, DateTimeOffset At, bool Faulted);

/// <summary>
/// A Microsoft Graph stand-in on 127.0.0.1 (random port) that speaks Graph's JSON for the endpoints Entra sync uses:
/// <c>/users/delta</c>, <c>/groups/delta</c> (with <c>members@delta</c>), <c>/servicePrincipals/microsoft.graph.agentIdentity</c>
/// and <c>/servicePrincipals/{id}/owners</c>; paging with <c>$skiptoken</c>, delta links with <c>$deltatoken</c>,
/// <c>@removed</c>, and injectable faults. Point the real <c>GraphServiceClient</c> at <see cref="BaseUrl"/>.
/// </summary>
public sealed class GraphSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly object _faultGate = new();
    private readonly List<FaultState> _faults = [];
    private readonly ConcurrentQueue<SimulatorRequest> _requests = new();
    private readonly ConcurrentDictionary<string, List<object>> _rounds = new(StringComparer.Ordinal);
    private long _minValidDeltaToken;
    private Hold? _hold;

    private GraphSimulator(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    /// <summary>The directory the simulator serves; mutate it between syncs.</summary>
    public SimulatedDirectory Directory { get; } = new();

    /// <summary>Graph root including <c>/v1.0</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Page size when the client sends no <c>Prefer: odata.maxpagesize</c>.</summary>
    public int DefaultPageSize { get; set; } = 100;

    /// <summary>Upper bound on any page, whatever the client asks (to force many pages in tests).</summary>
    public int MaxPageSize { get; set; } = 999;

    /// <summary>At most this many <c>members@delta</c> entries per group entry; bigger groups appear in several entries (slices), possibly on several pages.</summary>
    public int MemberSliceSize { get; set; } = 500;

    /// <summary>Rejects requests without a bearer token (the SDK's auth provider must run).</summary>
    public bool RequireBearer { get; set; } = true;

    /// <param name="time">The clock of <see cref="SimulatorRequest.At"/>: the test's fake clock, so the gap between two requests is the time the client waited on it.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<GraphSimulator> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var simulator = new GraphSimulator(app, time ?? TimeProvider.System);
        app.Run(simulator.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        simulator.BaseUrl = address.TrimEnd('/') + "/v1.0";
        return simulator;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Queues a fault; faults are matched in the order they were added.</summary>
    public void InjectFault(SimulatorFault fault)
    {
        lock (_faultGate)
        {
            _faults.Add(new FaultState(fault));
        }
    }

    /// <summary>Makes every delta token issued so far answer 410 Gone (<c>syncStateNotFound</c>), as after token expiry.</summary>
    public void ExpireDeltaTokens()
    {
        // Tokens are versions: everything issued so far becomes invalid, tokens issued from now on are valid.
        Interlocked.Exchange(ref _minValidDeltaToken, Directory.Touch());
    }

    /// <summary>
    /// The next request whose path contains <paramref name="pathContains"/> completes <paramref name="entered"/> and is
    /// answered only once <paramref name="release"/> completes: the client is then mid-request for as long as the test needs.
    /// </summary>
    public void HoldNext(string pathContains, TaskCompletionSource entered, Task release) =>
        Interlocked.Exchange(ref _hold, new Hold(pathContains, entered, release));

    private sealed record Hold(string PathContains, TaskCompletionSource Entered, Task Release);

    /// <summary>Every request answered so far, in order.</summary>
    public IReadOnlyList<SimulatorRequest> Requests => [.. _requests];

    public int RequestCount => _requests.Count;

    public int CountRequests(string pathContains) => _requests.Count(r => r.PathAndQuery.Contains(pathContains, StringComparison.OrdinalIgnoreCase));

    public void ResetRequestLog() => _requests.Clear();

    private sealed class FaultState(SimulatorFault fault)
    {
        public SimulatorFault Fault { get; } = fault;
        public int Skip { get; set; } = fault.Skip;
        public int Remaining { get; set; } = fault.Count;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var pathAndQuery = context.Request.Path + context.Request.QueryString.ToUriComponent();
        if (RequireBearer && !(context.Request.Headers.Authorization.FirstOrDefault()?.StartsWith("Bearer ", StringComparison.Ordinal) ?? false))
        {
            await WriteErrorAsync(context, pathAndQuery, 401, "InvalidAuthenticationToken", "Access token is empty.");
            return;
        }

        if (_hold is { } hold && pathAndQuery.Contains(hold.PathContains, StringComparison.OrdinalIgnoreCase) &&
            Interlocked.CompareExchange(ref _hold, null, hold) == hold)
        {
            hold.Entered.TrySetResult();
            await hold.Release;
        }

        var fault = TakeFault(pathAndQuery);
        switch (fault?.Kind)
        {
            case FaultKind.TooManyRequests:
                context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, pathAndQuery, 429, "TooManyRequests", "Too many requests.", faulted: true);
                return;
            case FaultKind.ServiceUnavailable:
                context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, pathAndQuery, 503, "serviceNotAvailable", "Service unavailable.", faulted: true);
                return;
            case FaultKind.Gone:
                await WriteErrorAsync(context, pathAndQuery, 410, "syncStateNotFound", "The delta token is no longer valid.", faulted: true);
                return;
        }

        byte[]? body;
        int status;
        try
        {
            (status, body) = Route(context.Request);
        }
        catch (KeyNotFoundException)
        {
            await WriteErrorAsync(context, pathAndQuery, 404, "Request_ResourceNotFound", "Resource does not exist.");
            return;
        }

        if (status == 410)
        {
            await WriteErrorAsync(context, pathAndQuery, 410, "syncStateNotFound", "The delta token is no longer valid.");
            return;
        }

        if (body is null)
        {
            await WriteErrorAsync(context, pathAndQuery, 400, "BadRequest", "Unsupported request.");
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;odata.metadata=minimal";
        context.Response.ContentLength = body.Length;
        if (fault?.Kind == FaultKind.DropConnection)
        {
            _requests.Enqueue(new SimulatorRequest(pathAndQuery, status, _time.GetUtcNow(), Faulted: true));
            await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }

        _requests.Enqueue(new SimulatorRequest(pathAndQuery, status, _time.GetUtcNow(), Faulted: false));
        await context.Response.Body.WriteAsync(body);
    }

    private SimulatorFault? TakeFault(string pathAndQuery)
    {
        lock (_faultGate)
        {
            foreach (var state in _faults)
            {
                if (state.Remaining <= 0 || (state.Fault.PathContains is { } filter && !pathAndQuery.Contains(filter, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                if (state.Skip > 0)
                {
                    state.Skip--;
                    return null;
                }

                state.Remaining--;
                return state.Fault;
            }

            return null;
        }
    }

    private async Task WriteErrorAsync(HttpContext context, string pathAndQuery, int status, string code, string message, bool faulted = false)
    {
        _requests.Enqueue(new SimulatorRequest(pathAndQuery, status, _time.GetUtcNow(), faulted));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = Render(w =>
        {
            w.WriteStartObject("error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteEndObject();
        });
        await context.Response.Body.WriteAsync(body);
    }

    private (int Status, byte[]? Body) Route(HttpRequest request)
    {
        var segments = request.Path.Value!.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "v1.0")
        {
            return (404, null);
        }

        var pageSize = Math.Min(MaxPageSize, PreferredPageSize(request) ?? DefaultPageSize);
        return segments[1..] switch
        {
            ["users", "delta" or "delta()"] => Delta(request, "users", pageSize),
            ["groups", "delta" or "delta()"] => Delta(request, "groups", pageSize),
            ["servicePrincipals", "microsoft.graph.agentIdentity"] => (200, ListAgents(request)),
            ["servicePrincipals", var id, "owners"] => (200, Owners(id)),
            _ => (404, null),
        };
    }

    private static int? PreferredPageSize(HttpRequest request)
    {
        foreach (var value in request.Headers["Prefer"])
        {
            foreach (var part in (value ?? string.Empty).Split(','))
            {
                var kv = part.Trim().Split('=');
                if (kv.Length == 2 && kv[0] == "odata.maxpagesize" && int.TryParse(kv[1], out var size) && size > 0)
                {
                    return size;
                }
            }
        }

        return null;
    }

    /// <summary>One delta page; 410 (no body) for a delta token issued before <see cref="ExpireDeltaTokens"/>.</summary>
    private (int Status, byte[]? Body) Delta(HttpRequest request, string resource, int pageSize)
    {
        long from;
        long to;
        int offset;
        if (request.Query["$skiptoken"].FirstOrDefault() is { } skip)
        {
            var parts = skip.Split('.');
            (from, to, offset) = (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        else
        {
            from = request.Query["$deltatoken"].FirstOrDefault() is { } delta ? long.Parse(delta, CultureInfo.InvariantCulture) : 0;
            if (from > 0 && from < Interlocked.Read(ref _minValidDeltaToken))
            {
                return (410, null);
            }

            offset = 0;
            lock (Directory.Gate)
            {
                to = Directory.Version;
            }
        }

        var entries = _rounds.GetOrAdd($"{resource}:{from}:{to}", _ => resource == "users" ? UserRound(from) : GroupRound(from));
        var page = entries.Skip(offset).Take(pageSize).ToList();
        var nextOffset = offset + page.Count;
        var root = BaseUrl + "/" + resource + "/delta";
        return (200, Render(w =>
        {
            w.WriteString("@odata.context", $"{BaseUrl}/$metadata#{resource}");
            if (nextOffset < entries.Count)
            {
                w.WriteString("@odata.nextLink", $"{root}?$skiptoken={from}.{to}.{nextOffset}");
            }
            else
            {
                w.WriteString("@odata.deltaLink", $"{root}?$deltatoken={to}");
            }

            w.WriteStartArray("value");
            foreach (var entry in page)
            {
                WriteEntry(w, entry);
            }

            w.WriteEndArray();
        }));
    }

    private sealed record UserEntry(string Id, bool Removed, string? DisplayName, bool AccountEnabled, string? Department, string? JobTitle, string? UserPrincipalName);

    private sealed record GroupEntry(string Id, bool Removed, string? DisplayName, IReadOnlyList<SimEdge>? Members);

    private List<object> UserRound(long from)
    {
        lock (Directory.Gate)
        {
            return [.. Directory.Users.Values
                .Where(u => from == 0 ? !u.Deleted : u.Version > from)
                .OrderBy(u => u.Id, StringComparer.Ordinal)
                .Select(u => (object)new UserEntry(u.Id, u.Deleted, u.DisplayName, u.AccountEnabled, u.Department, u.JobTitle, u.UserPrincipalName))];
        }
    }

    private List<object> GroupRound(long from)
    {
        lock (Directory.Gate)
        {
            var entries = new List<object>();
            foreach (var group in Directory.Groups.Values.OrderBy(g => g.Id, StringComparer.Ordinal))
            {
                if (from == 0)
                {
                    if (group.Deleted)
                    {
                        continue;
                    }

                    AddSlices(entries, group, [.. group.Members.Values.Where(e => !e.Removed).OrderBy(e => e.MemberId, StringComparer.Ordinal)]);
                    continue;
                }

                var changedEdges = group.Members.Values.Where(e => e.Version > from).OrderBy(e => e.MemberId, StringComparer.Ordinal).ToList();
                if (group.Version <= from && changedEdges.Count == 0)
                {
                    continue;
                }

                if (group.Deleted)
                {
                    entries.Add(new GroupEntry(group.Id, true, null, null));
                    continue;
                }

                AddSlices(entries, group, changedEdges);
            }

            return entries;
        }
    }

    private void AddSlices(List<object> entries, SimGroup group, List<SimEdge> edges)
    {
        var slice = Math.Max(1, MemberSliceSize);
        var index = 0;
        do
        {
            entries.Add(new GroupEntry(group.Id, false, group.DisplayName, edges.Skip(index).Take(slice).ToList()));
            index += slice;
        }
        while (index < edges.Count);
    }

    private static void WriteEntry(Utf8JsonWriter w, object entry)
    {
        w.WriteStartObject();
        switch (entry)
        {
            case UserEntry { Removed: true } u:
                w.WriteString("id", u.Id);
                WriteRemoved(w, "deleted");
                break;
            case UserEntry u:
                w.WriteString("@odata.type", "#microsoft.graph.user");
                w.WriteString("id", u.Id);
                w.WriteString("displayName", u.DisplayName);
                w.WriteBoolean("accountEnabled", u.AccountEnabled);
                WriteNullable(w, "department", u.Department);
                WriteNullable(w, "jobTitle", u.JobTitle);
                WriteNullable(w, "userPrincipalName", u.UserPrincipalName);
                break;
            case GroupEntry { Removed: true } g:
                w.WriteString("id", g.Id);
                WriteRemoved(w, "changed");
                break;
            case GroupEntry g:
                w.WriteString("@odata.type", "#microsoft.graph.group");
                w.WriteString("id", g.Id);
                w.WriteString("displayName", g.DisplayName);
                w.WriteStartArray("members@delta");
                foreach (var edge in g.Members ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("@odata.type", edge.IsGroup ? "#microsoft.graph.group" : "#microsoft.graph.user");
                    w.WriteString("id", edge.MemberId);
                    if (edge.Removed)
                    {
                        WriteRemoved(w, "deleted");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteRemoved(Utf8JsonWriter w, string reason)
    {
        w.WriteStartObject("@removed");
        w.WriteString("reason", reason);
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private byte[] ListAgents(HttpRequest request)
    {
        var top = int.TryParse(request.Query["$top"].FirstOrDefault(), out var t) && t > 0 ? Math.Min(t, MaxPageSize) : DefaultPageSize;
        var offset = int.TryParse(request.Query["$skiptoken"].FirstOrDefault(), out var s) ? s : 0;
        List<SimAgent> page;
        int total;
        var sponsorTypes = new Dictionary<string, bool>(StringComparer.Ordinal);
        lock (Directory.Gate)
        {
            var live = Directory.Agents.Values.Where(a => !a.Deleted).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
            total = live.Count;
            page = [.. live.Skip(offset).Take(top).Select(a => new SimAgent(a.Id)
            {
                DisplayName = a.DisplayName,
                AccountEnabled = a.AccountEnabled,
                BlueprintId = a.BlueprintId,
                Tags = [.. a.Tags],
                Owners = [.. a.Owners],
                Sponsors = [.. a.Sponsors],
            })];
            foreach (var sponsor in page.SelectMany(a => a.Sponsors))
            {
                sponsorTypes[sponsor] = Directory.IsGroup(sponsor);
            }
        }

        var next = offset + page.Count;
        var query = string.Join('&', request.Query.Where(q => q.Key != "$skiptoken").Select(q => $"{q.Key}={q.Value}"));
        return Render(w =>
        {
            w.WriteString("@odata.context", $"{BaseUrl}/$metadata#servicePrincipals/microsoft.graph.agentIdentity");
            if (next < total)
            {
                w.WriteString("@odata.nextLink", $"{BaseUrl}/servicePrincipals/microsoft.graph.agentIdentity?{query}&$skiptoken={next}");
            }

            w.WriteStartArray("value");
            foreach (var agent in page)
            {
                w.WriteStartObject();
                w.WriteString("@odata.type", "#microsoft.graph.agentIdentity");
                w.WriteString("id", agent.Id);
                w.WriteString("displayName", agent.DisplayName);
                w.WriteBoolean("accountEnabled", agent.AccountEnabled);
                w.WriteString("agentIdentityBlueprintId", agent.BlueprintId);
                w.WriteStartArray("tags");
                foreach (var tag in agent.Tags)
                {
                    w.WriteStringValue(tag);
                }

                w.WriteEndArray();
                w.WriteStartArray("sponsors");
                foreach (var sponsor in agent.Sponsors)
                {
                    w.WriteStartObject();
                    w.WriteString("@odata.type", sponsorTypes[sponsor] ? "#microsoft.graph.group" : "#microsoft.graph.user");
                    w.WriteString("id", sponsor);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private byte[] Owners(string agentId)
    {
        List<(string Id, string Type)> owners;
        lock (Directory.Gate)
        {
            if (!Directory.Agents.TryGetValue(agentId, out var agent) || agent.Deleted)
            {
                throw new KeyNotFoundException(agentId);
            }

            owners = [.. agent.Owners.Select(o => (o, Directory.Agents.ContainsKey(o) ? "#microsoft.graph.servicePrincipal" : "#microsoft.graph.user"))];
        }

        return Render(w =>
        {
            w.WriteString("@odata.context", $"{BaseUrl}/$metadata#directoryObjects");
            w.WriteStartArray("value");
            foreach (var (id, type) in owners)
            {
                w.WriteStartObject();
                w.WriteString("@odata.type", type);
                w.WriteString("id", id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static byte[] Render(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
