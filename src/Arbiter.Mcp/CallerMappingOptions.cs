using System.ComponentModel.DataAnnotations;

namespace Arbiter.Mcp;

/// <summary>
/// How a validated token becomes an AuthZEN request (defaults follow Microsoft Entra ID access tokens):
/// <list type="bullet">
/// <item>The agent is named by the first of <see cref="AgentClaims"/> present (<c>azp</c>, then <c>appid</c>), translated
/// through <see cref="AgentIds"/> when the token names the agent by client id. No agent claim: the token is refused.</item>
/// <item>An app-only token (<see cref="AppOnlyClaim"/> = <see cref="AppOnlyValue"/>, Entra's <c>idtyp: app</c>) is the
/// agent acting alone: <c>subject = {type: agent, id}</c> (agent-only mode).</item>
/// <item>Otherwise the token is delegated: the human is <see cref="UserClaim"/> (<c>oid</c>) and the request is in
/// principal context, <c>subject = {type: user, id}</c>, <c>context.agent = {type: agent, id}</c>. No user claim: refused.</item>
/// </list>
/// Entra agent identities also mark themselves with <c>xms_act_fct</c>/<c>xms_sub_fct</c>; with
/// <see cref="RequireAgentIdentityMarker"/> a token without one of <see cref="AgentIdentityMarkerClaims"/> is refused.
/// </summary>
public sealed class CallerMappingOptions
{
    public string UserClaim { get; set; } = "oid";

    public List<string> AgentClaims { get; } = [];

    /// <summary>Claims used when <see cref="AgentClaims"/> is left empty.</summary>
    public static readonly IReadOnlyList<string> DefaultAgentClaims = ["azp", "appid"];

    public string AppOnlyClaim { get; set; } = "idtyp";

    public string AppOnlyValue { get; set; } = "app";

    /// <summary>Client id (as in the token) → Arbiter agent id; ids not listed are used as they are.</summary>
    public Dictionary<string, string> AgentIds { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool RequireAgentIdentityMarker { get; set; }

    public List<string> AgentIdentityMarkerClaims { get; } = [];

    public static readonly IReadOnlyList<string> DefaultAgentIdentityMarkerClaims = ["xms_act_fct", "xms_sub_fct"];

    public string UserType { get; set; } = "user";

    public string AgentType { get; set; } = "agent";

    public IReadOnlyList<string> EffectiveAgentClaims => AgentClaims.Count > 0 ? AgentClaims : DefaultAgentClaims;

    public IReadOnlyList<string> EffectiveMarkerClaims => AgentIdentityMarkerClaims.Count > 0 ? AgentIdentityMarkerClaims : DefaultAgentIdentityMarkerClaims;

    internal IEnumerable<ValidationResult> Validate()
    {
        if (string.IsNullOrWhiteSpace(UserClaim) || string.IsNullOrWhiteSpace(AppOnlyClaim) || string.IsNullOrWhiteSpace(UserType) || string.IsNullOrWhiteSpace(AgentType))
            yield return new ValidationResult("Caller: UserClaim, AppOnlyClaim, UserType and AgentType must not be empty", [nameof(ArbiterMcpOptions.Caller)]);
        if (AgentClaims.Any(string.IsNullOrWhiteSpace))
            yield return new ValidationResult("Caller:AgentClaims must not contain empty names", [nameof(ArbiterMcpOptions.Caller)]);
    }
}
