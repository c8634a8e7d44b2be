namespace Arbiter.Api.Health;

/// <summary>What an anonymous caller (a load balancer, an uptime probe) learns: healthy or degraded, nothing else.</summary>
public sealed record HealthSummary(string Status);
