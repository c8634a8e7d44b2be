using System.Collections.Frozen;
using System.Text.Json;
using Arbiter.Engine.Decisions;

namespace Arbiter.Engine.Directory;

/// <summary>
/// How open a tenant's world is (docs/open-world.md): which subject types a request may assert without registration,
/// which resource types it may supply, and subject type aliases. One directory document (collection <c>settings</c>,
/// id <c>tenant</c>). Without one the defaults hold; one that cannot be read closes the world (<see cref="Closed"/>).
/// </summary>
public sealed record TenantSettings
{
    public const string DocumentId = "tenant";

    /// <summary>The wildcard in an allow-list: every type but those that must be listed by name.</summary>
    public const string AnyOther = "*";

    /// <summary>No document: any subject type but user and agent may be asserted, any open resource type supplied.</summary>
    public static readonly TenantSettings Default = new();

    /// <summary>A settings document that cannot be read: no aliases, nothing asserted, nothing supplied.</summary>
    public static readonly TenantSettings Closed = new()
    {
        AssertedSubjects = TypeAllowList.None,
        SuppliedResources = TypeAllowList.None,
    };

    public FrozenDictionary<string, string> SubjectTypeAliases { get; init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>Unregistered subjects of these types are decided from the request; <c>*</c> leaves out user and agent (agents can never be asserted).</summary>
    public TypeAllowList AssertedSubjects { get; init; } = TypeAllowList.AnyOther([SubjectTypes.User, SubjectTypes.Agent]);

    /// <summary>Unregistered resources of these types are decided from the request; tools, servers and agents never are.</summary>
    public TypeAllowList SuppliedResources { get; init; } = TypeAllowList.AnyOther([]);

    /// <summary>The type Arbiter decides on for a subject type a caller sent.</summary>
    public string SubjectType(string sent) =>
        SubjectTypeAliases.Count > 0 && SubjectTypeAliases.TryGetValue(sent, out var alias) ? alias : sent;

    public bool MayAssertSubject(string type) => AssertedSubjects.Allows(type);

    public bool MaySupplyResource(string type) => !ResourceTypes.IsClosed(type) && SuppliedResources.Allows(type);

    /// <summary>Reads the settings document; problems for what cannot be read (the caller then uses <see cref="Closed"/>).</summary>
    public static TenantSettings? Read(JsonElement body, out string? error)
    {
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "the document body must be a JSON object";
            return null;
        }
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.TryGetProperty("subjectTypeAliases", out var a))
        {
            if (a.ValueKind != JsonValueKind.Object)
                return Fail("'subjectTypeAliases' must be an object mapping a type to a type", out error);
            foreach (var alias in a.EnumerateObject())
            {
                if (!EntityTypes.IsValid(alias.Name) || alias.Value.ValueKind != JsonValueKind.String || !EntityTypes.IsValid(alias.Value.GetString()!))
                    return Fail($"'subjectTypeAliases.{alias.Name}' must map a type name to a type name ({EntityTypes.Rule})", out error);
                if (alias.Value.GetString() == SubjectTypes.Agent || alias.Name == SubjectTypes.Agent)
                    return Fail("an alias may not name 'agent': agent-only requests say so", out error);
                aliases[alias.Name] = alias.Value.GetString()!;
            }
        }
        var subjects = TypeAllowList.Read(body, "assertedSubjectTypes", [SubjectTypes.User, SubjectTypes.Agent], ref error);
        // An agent is never made up by a request: the kill switch, sponsors and drift reviews need it registered.
        if (subjects is not null && subjects.Named.Contains(SubjectTypes.Agent))
            error ??= "'assertedSubjectTypes' may not list 'agent': agents must be registered (the kill switch and reviews act on them)";
        var resources = TypeAllowList.Read(body, "assertedResourceTypes", [], ref error);
        if (error is not null)
            return null;
        return new TenantSettings
        {
            SubjectTypeAliases = aliases.ToFrozenDictionary(StringComparer.Ordinal),
            AssertedSubjects = subjects ?? Default.AssertedSubjects,
            SuppliedResources = resources ?? Default.SuppliedResources,
        };
    }

    private static TenantSettings? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }
}

/// <summary>A list of types, where <c>*</c> stands for every type except <see cref="Excluded"/> (which must be listed by name).</summary>
public sealed record TypeAllowList(bool Wildcard, FrozenSet<string> Named, FrozenSet<string> Excluded)
{
    public static readonly TypeAllowList None = new(false, FrozenSet<string>.Empty, FrozenSet<string>.Empty);

    public static TypeAllowList AnyOther(string[] excluded) => new(true, FrozenSet<string>.Empty, excluded.ToFrozenSet(StringComparer.Ordinal));

    public bool Allows(string type) => Named.Contains(type) || (Wildcard && !Excluded.Contains(type));

    internal static TypeAllowList? Read(JsonElement body, string name, string[] excluded, ref string? error)
    {
        if (!body.TryGetProperty(name, out var list))
            return null;
        if (list.ValueKind != JsonValueKind.Array)
        {
            error ??= $"'{name}' must be an array of type names or \"*\"";
            return null;
        }
        var wildcard = false;
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
            if (text == TenantSettings.AnyOther)
                wildcard = true;
            else if (text is not null && EntityTypes.IsValid(text))
                named.Add(text);
            else
            {
                error ??= $"'{name}' must be an array of type names or \"*\"";
                return null;
            }
        }
        return new TypeAllowList(wildcard, named.ToFrozenSet(StringComparer.Ordinal), excluded.ToFrozenSet(StringComparer.Ordinal));
    }
}
