using System.Net.Http.Headers;
using Azure.Core;

namespace Arbiter.Client;

/// <summary>
/// Adds a bearer token for <c>scope</c> from the <see cref="TokenCredential"/> (managed identity in Azure) to each call
/// to Arbiter. Azure.Identity's credentials cache their tokens; this handler keeps the last one until shortly before
/// it expires so a decision does not wait on the token endpoint.
/// </summary>
public sealed class ArbiterCredentialHandler(TokenCredential credential, string scope, TimeProvider time) : DelegatingHandler
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessToken _token;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = _token;
        if (token.Token is null || time.GetUtcNow() >= token.ExpiresOn - RefreshMargin)
            token = await RefreshAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<AccessToken> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token.Token is null || time.GetUtcNow() >= _token.ExpiresOn - RefreshMargin)
                _token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _gate.Dispose();
        base.Dispose(disposing);
    }
}
