using System.Collections.Frozen;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Directory;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Snapshots;

/// <summary>
/// A policy as the index stores it for evaluation: what a decision must check, laid out flat in the candidate array
/// (modes, effect, agent filter, the resource selector with ids and servers as ordinals), so that ruling a policy in
/// or out reads one array element instead of following the policy's objects and hashing strings. The policy itself
/// is only visited for validity windows, conditions and tag selectors.
/// </summary>
internal readonly struct Candidate
{
    private const byte HasWindow = 1, HasCondition = 2, HasTags = 4, OneId = 8, OneServer = 16;

    // A selector of one id or one server (most grants name one tool) keeps its ordinal inline: ruling the candidate
    // out then reads nothing beyond the candidate itself.
    private readonly int[]? _ids;
    private readonly int[]? _servers;
    private readonly int _id;
    private readonly int _server;
    private readonly FrozenSet<string>? _otherTypes;
    private readonly ushort _types;
    private readonly sbyte _maxLevel;
    private readonly byte _flags;

    public Candidate(CompiledPolicy compiled, int agentFilter, ResourceOrdinals ordinals)
    {
        var policy = compiled.Policy;
        Policy = compiled;
        AgentFilter = agentFilter;
        Modes = policy.Modes;
        Kind = compiled.Kind;
        _maxLevel = -1;
        if (policy.NotBefore is not null || policy.NotAfter is not null)
            _flags |= HasWindow;
        if (policy.Condition is not null)
            _flags |= HasCondition;
        if (policy.Resources is not { } selector)
            return;
        if (selector.Types is not null)
        {
            _types = (ushort)(ResourceTypeBits.Specified | selector.Types.Aggregate(0, (bits, type) => bits | ResourceTypeBits.Of(type)));
            // Types without a bit of their own (records, routes, todos) are compared by name.
            if (selector.Types.Any(type => ResourceTypeBits.Of(type) == 0))
                _otherTypes = selector.Types;
        }
        if (selector.Ids is { Count: 1 } oneId)
        {
            _id = ordinals.Ids[oneId.First()];
            _flags |= OneId;
        }
        else if (selector.Ids is not null)
            _ids = Ordinals(selector.Ids, ordinals.Ids);
        if (selector.Servers is { Count: 1 } oneServer)
        {
            _server = ordinals.Servers[oneServer.First()];
            _flags |= OneServer;
        }
        else if (selector.Servers is not null)
            _servers = Ordinals(selector.Servers, ordinals.Servers);
        if (selector.MaxSensitivity is { } max)
            _maxLevel = (sbyte)max;
        if (selector.Tags is not null)
            _flags |= HasTags;
    }

    public CompiledPolicy Policy { get; }

    /// <summary>The policy's bit in <see cref="PolicySnapshot.AgentEntry"/> filters; -1 when it allows any agent.</summary>
    public int AgentFilter { get; }

    public Modes Modes { get; }
    public MatchKind Kind { get; }
    public bool IsPermit => (Kind & (MatchKind.Permit | MatchKind.ShadowPermit)) != 0;
    public bool NeedsWindowCheck => (_flags & HasWindow) != 0;
    public bool NeedsCondition => (_flags & HasCondition) != 0;

    /// <summary>The selector's rules (<see cref="ResourceSelector.Matches"/>) over the resolved resource.</summary>
    public bool MatchesResource(in ResourceView resource)
    {
        if (_types != 0 && (_types & resource.TypeBit) == 0
            && (resource.TypeBit != 0 || _otherTypes is null || !_otherTypes.Contains(resource.Type)))
            return false;
        if ((_flags & OneId) != 0 ? resource.Ordinal != _id : _ids is not null && !Contains(_ids, resource.Ordinal))
            return false;
        if ((_flags & OneServer) != 0 ? resource.ServerOrdinal != _server : _servers is not null && !Contains(_servers, resource.ServerOrdinal))
            return false;
        if (_maxLevel >= 0 && (int)resource.Sensitivity > _maxLevel)
            return false;
        return (_flags & HasTags) == 0 || Selectors.Overlap(Policy.Policy.Resources!.Tags!, resource.Tags);
    }

    private static bool Contains(int[] ordinals, int ordinal) => ordinal >= 0 && ordinals.AsSpan().Contains(ordinal);

    /// <summary>Every name has an ordinal: they were collected from the same policies. An empty list matches nothing.</summary>
    private static int[] Ordinals(FrozenSet<string> names, FrozenDictionary<string, int> ordinals) => [.. names.Select(name => ordinals[name])];
}

/// <summary>
/// Ordinals for the resource ids and MCP server ids that policies name. A request's resource is looked up once per
/// decision; an id no policy names gets -1 and matches no id selector.
/// </summary>
internal sealed record ResourceOrdinals(FrozenDictionary<string, int> Ids, FrozenDictionary<string, int> Servers)
{
    public static ResourceOrdinals Of(IEnumerable<Policy> policies)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var servers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            foreach (var id in policy.Resources?.Ids ?? [])
                ids.TryAdd(id, ids.Count);
            foreach (var server in policy.Resources?.Servers ?? [])
                servers.TryAdd(server, servers.Count);
        }
        return new(ids.ToFrozenDictionary(StringComparer.Ordinal), servers.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The view with its id and server ordinals filled in.</summary>
    public ResourceView Indexed(ResourceView view) => view with
    {
        Ordinal = Ids.Count == 0 ? -1 : Ids.GetValueOrDefault(view.Id, -1),
        ServerOrdinal = view.Server is null || Servers.Count == 0 ? -1 : Servers.GetValueOrDefault(view.Server, -1),
    };
}

/// <summary>
/// A bit per resource type Arbiter knows; a selector's types become a mask. Any other type has no bit (0) and is
/// matched by name (<see cref="Candidate.MatchesResource"/>).
/// </summary>
internal static class ResourceTypeBits
{
    /// <summary>Set on every mask from a selector that lists types, so a list of only unknown types matches nothing.</summary>
    public const int Specified = 0x8000;

    private static readonly FrozenDictionary<string, int> Bits = new[]
    {
        ResourceTypes.Agent, ResourceTypes.Tool, ResourceTypes.McpServer, ResourceTypes.User,
    }.Concat(FactReader.DataResourceTypes.Order(StringComparer.Ordinal))
        .Select((type, i) => (type, bit: 1 << i))
        .ToFrozenDictionary(x => x.type, x => x.bit, StringComparer.Ordinal);

    public static readonly int Agent = Of(ResourceTypes.Agent);
    public static readonly int Tool = Of(ResourceTypes.Tool);
    public static readonly int McpServer = Of(ResourceTypes.McpServer);
    public static readonly int User = Of(ResourceTypes.User);

    public static int Of(string type) => Bits.GetValueOrDefault(type);
}
