using System.Collections.Concurrent;
using Azure.Core;

namespace Arbiter.Gateway;

/// <summary>
/// The gateway's own tokens to its upstreams, one per scope, from the app's <see cref="TokenCredential"/> (managed
/// identity in Azure), reused until five minutes before they expire so a call does not wait on the identity endpoint.
/// </summary>
public sealed class UpstreamTokens(TokenCredential credential, TimeProvider time)
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, AccessToken> _tokens = new(StringComparer.Ordinal);

    public async ValueTask<string> GetAsync(string scope, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(scope, out var cached) && cached.ExpiresOn - RefreshMargin > time.GetUtcNow())
            return cached.Token;
        var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
        _tokens[scope] = token;
        return token.Token;
    }
}
