using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Arbiter.Client;

/// <summary>
/// Reuses a single evaluation's answer for at most <see cref="ArbiterClientOptions.CacheLifetime"/> (≤ 1 s, so a
/// suspended agent is denied within a second). Off when the lifetime is zero. Bounded: when full, expired entries are
/// swept and, if none expired, the new answer is simply not cached. Failures are never cached.
/// </summary>
public sealed class DecisionCache(IOptions<ArbiterClientOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = options.Value.CacheLifetime;
    private readonly int _maxEntries = options.Value.CacheMaxEntries;

    public bool Enabled => _lifetime > TimeSpan.Zero;

    public int Count => _entries.Count;

    public bool TryGet(string key, out AccessDecision decision)
    {
        decision = null!;
        if (!Enabled || !_entries.TryGetValue(key, out var entry))
            return false;
        if (time.GetUtcNow() >= entry.Expires)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            return false;
        }
        decision = entry.Decision;
        return true;
    }

    public void Set(string key, AccessDecision decision)
    {
        if (!Enabled || decision.Failure != DecisionFailure.None)
            return;
        var now = time.GetUtcNow();
        if (_entries.Count >= _maxEntries)
        {
            foreach (var (k, e) in _entries)
            {
                if (now >= e.Expires)
                    _entries.TryRemove(new KeyValuePair<string, Entry>(k, e));
            }
            if (_entries.Count >= _maxEntries)
                return;
        }
        _entries[key] = new Entry(decision, now + _lifetime);
    }

    private sealed record Entry(AccessDecision Decision, DateTimeOffset Expires);
}
