using System.Text.Json;

namespace Arbiter.Client;

/// <summary>An obligation attached to a permit (AuthZEN obligations profile): the caller must honour it or deny.</summary>
public sealed record Obligation(string Id, string Type, JsonElement Properties);
