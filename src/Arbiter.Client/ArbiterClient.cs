using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Arbiter.Client;

/// <summary>
/// A typed AuthZEN 1.0 client for Arbiter that fails closed: a timeout, a 5xx, a refused call or an answer it cannot
/// read is a deny with a reason (<see cref="AccessDecision.Failure"/>), never an exception; a permit carrying an
/// obligation the caller does not honour is a deny. Only the caller's own cancellation throws.
/// </summary>
public sealed partial class ArbiterClient(HttpClient http, DecisionCache cache, IOptions<ArbiterClientOptions> options, ILogger<ArbiterClient> logger)
{
    public const string EvaluationPath = "access/v1/evaluation";
    public const string EvaluationsPath = "access/v1/evaluations";
    public const string SubjectSearchPath = "access/v1/search/subject";
    public const string ResourceSearchPath = "access/v1/search/resource";
    public const string ActionSearchPath = "access/v1/search/action";
    public const string MetadataPath = ".well-known/authzen-configuration";
    public const string RequestIdHeader = "X-Request-ID";

    private readonly HashSet<string> _understood = new(options.Value.UnderstoodObligations, StringComparer.Ordinal);

    /// <summary>One decision (<c>POST /access/v1/evaluation</c>), from the cache when it is on and holds a fresh answer.</summary>
    public async Task<AccessDecision> EvaluateAsync(EvaluationRequest request, DecisionCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options is null && options.Value.Explain)
            request = request with { Options = new EvaluationOptions(Explain: true) };
        var understood = call?.UnderstoodObligations ?? _understood;
        string? key = null;
        if (cache.Enabled)
        {
            key = JsonSerializer.Serialize(request, ArbiterClientJsonContext.Default.EvaluationRequest) + "\n" + string.Join(',', understood.Order(StringComparer.Ordinal));
            if (cache.TryGet(key, out var cached))
                return cached;
        }

        var (body, failure, reason) = await PostAsync(EvaluationPath, request, ArbiterClientJsonContext.Default.EvaluationRequest, call?.RequestId, cancellationToken);
        AccessDecision decision;
        using (body)
            decision = body is null ? AccessDecision.Failed(failure, reason!) : DecisionReader.Read(body.RootElement, understood);
        Report(decision);
        if (key is not null)
            cache.Set(key, decision);
        return decision;
    }

    /// <summary>
    /// A batch (<c>POST /access/v1/evaluations</c>): one decision per requested item, in order. Items a short-circuit
    /// semantic left unevaluated, and every item when the call fails, are denies with a reason.
    /// </summary>
    public async Task<IReadOnlyList<AccessDecision>> EvaluateBatchAsync(EvaluationsRequest request, DecisionCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var count = request.Evaluations.Count;
        if (count == 0)
            return [];
        if (options.Value.Explain && request.Options?.Explain is null)
            request = request with { Options = (request.Options ?? new EvaluationsOptions()) with { Explain = true } };
        var understood = call?.UnderstoodObligations ?? _understood;
        var (body, failure, reason) = await PostAsync(EvaluationsPath, request, ArbiterClientJsonContext.Default.EvaluationsRequest, call?.RequestId, cancellationToken);
        using (body)
        {
            var decisions = new AccessDecision[count];
            if (body is null)
            {
                Array.Fill(decisions, AccessDecision.Failed(failure, reason!));
            }
            else if (!body.RootElement.TryGetProperty("evaluations", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() > count)
            {
                Array.Fill(decisions, AccessDecision.Failed(DecisionFailure.InvalidResponse, "Arbiter's batch answer has no 'evaluations' array matching the request"));
            }
            else
            {
                var i = 0;
                foreach (var item in items.EnumerateArray())
                    decisions[i++] = DecisionReader.Read(item, understood);
                for (; i < count; i++)
                    decisions[i] = new AccessDecision { Allowed = false, ReasonAdmin = "not evaluated: the batch stopped earlier (evaluations_semantic)", ReasonUser = "Access denied." };
            }
            foreach (var decision in decisions)
                Report(decision);
            return decisions;
        }
    }

    /// <summary>Which subjects would be permitted (<c>POST /access/v1/search/subject</c>); one page.</summary>
    public Task<SearchResult<Subject>> SearchSubjectsAsync(SubjectSearchRequest request, DecisionCallOptions? call = null, CancellationToken cancellationToken = default) =>
        SearchAsync(SubjectSearchPath, request, ArbiterClientJsonContext.Default.SubjectSearchRequest, ArbiterClientJsonContext.Default.SubjectSearchResponse, r => (r.Results, r.Page), call, cancellationToken);

    /// <summary>Which resources would be permitted (<c>POST /access/v1/search/resource</c>); one page.</summary>
    public Task<SearchResult<Resource>> SearchResourcesAsync(ResourceSearchRequest request, DecisionCallOptions? call = null, CancellationToken cancellationToken = default) =>
        SearchAsync(ResourceSearchPath, request, ArbiterClientJsonContext.Default.ResourceSearchRequest, ArbiterClientJsonContext.Default.ResourceSearchResponse, r => (r.Results, r.Page), call, cancellationToken);

    /// <summary>Which actions would be permitted (<c>POST /access/v1/search/action</c>); one page.</summary>
    public Task<SearchResult<AccessAction>> SearchActionsAsync(ActionSearchRequest request, DecisionCallOptions? call = null, CancellationToken cancellationToken = default) =>
        SearchAsync(ActionSearchPath, request, ArbiterClientJsonContext.Default.ActionSearchRequest, ArbiterClientJsonContext.Default.ActionSearchResponse, r => (r.Results, r.Page), call, cancellationToken);

    /// <summary>The PDP's metadata (<c>GET /.well-known/authzen-configuration</c>); null when it cannot be read.</summary>
    public async Task<PdpMetadata?> DiscoverAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(MetadataPath, UriKind.Relative), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogCallFailed(logger, MetadataPath, $"HTTP {(int)response.StatusCode}");
                return null;
            }
            return await response.Content.ReadFromJsonAsync(ArbiterClientJsonContext.Default.PdpMetadata, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Discovery is advice, not a decision: an unreadable answer is "unknown", never a crash.
            LogCallFailed(logger, MetadataPath, e.GetType().Name);
            return null;
        }
    }

    private async Task<SearchResult<T>> SearchAsync<TRequest, TResponse, T>(
        string path, TRequest request, JsonTypeInfo<TRequest> requestInfo, JsonTypeInfo<TResponse> responseInfo,
        Func<TResponse, (IReadOnlyList<T>? Results, PageResponse? Page)> select, DecisionCallOptions? call, CancellationToken cancellationToken)
    {
        var (body, failure, reason) = await PostAsync(path, request, requestInfo, call?.RequestId, cancellationToken);
        using (body)
        {
            if (body is null)
                return new SearchResult<T>([], null, failure, reason!);
            try
            {
                var response = body.RootElement.Deserialize(responseInfo);
                var (results, page) = response is null ? (null, null) : select(response);
                if (results is null || results.Any(r => r is null))
                    return new SearchResult<T>([], null, DecisionFailure.InvalidResponse, "Arbiter's search answer has no 'results' array");
                return new SearchResult<T>(results, string.IsNullOrEmpty(page?.NextToken) ? null : page.NextToken);
            }
            catch (JsonException e)
            {
                LogCallFailed(logger, path, e.GetType().Name);
                return new SearchResult<T>([], null, DecisionFailure.InvalidResponse, "Arbiter's search answer could not be read");
            }
        }
    }

    /// <summary>POSTs <paramref name="request"/>; the parsed body, or why there is none (every failure mode ends here).</summary>
    private async Task<(JsonDocument? Body, DecisionFailure Failure, string? Reason)> PostAsync<T>(string path, T request, JsonTypeInfo<T> info, string? requestId, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(request, info) };
        if (!string.IsNullOrEmpty(requestId))
            message.Headers.TryAddWithoutValidation(RequestIdHeader, requestId);
        string reason;
        DecisionFailure failure;
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                return (await JsonDocument.ParseAsync(stream, default, cancellationToken), DecisionFailure.None, null);
            }
            (failure, reason) = status >= 500
                ? (DecisionFailure.Unavailable, $"Arbiter answered HTTP {status}")
                : (DecisionFailure.Rejected, $"Arbiter refused the call with HTTP {status}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException)
        {
            (failure, reason) = (DecisionFailure.Unavailable, "Arbiter did not answer in time");
        }
        catch (HttpRequestException e)
        {
            (failure, reason) = (DecisionFailure.Unavailable, $"Arbiter could not be reached ({e.HttpRequestError})");
        }
        catch (JsonException)
        {
            (failure, reason) = (DecisionFailure.InvalidResponse, "Arbiter's answer is not JSON");
        }
        catch (Exception e)
        {
            // Fail closed on anything else the stack throws (a credential that cannot get a token, a broken handler).
            (failure, reason) = (DecisionFailure.Unavailable, $"the call to Arbiter failed ({e.GetType().Name})");
        }
        LogCallFailed(logger, path, reason);
        return (null, failure, reason);
    }

    private void Report(AccessDecision decision)
    {
        if (decision.Failure == DecisionFailure.UnknownObligation)
            LogUnknownObligation(logger, decision.DecisionId, decision.ReasonAdmin);
    }

    [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "Arbiter call {Path} failed closed: {Reason}")]
    private static partial void LogCallFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "Permit {DecisionId} turned into a deny: {Reason}")]
    private static partial void LogUnknownObligation(ILogger logger, string? decisionId, string? reason);
}
