using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

/// <summary>An entity in a request: a subject or a resource (AuthZEN shape).</summary>
public sealed record Entity(string Type, string Id, JsonElement Properties = default);
