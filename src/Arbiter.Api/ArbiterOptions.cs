using System.ComponentModel.DataAnnotations;

namespace Arbiter.Api;

/// <summary>Settings of the decision API (section <c>Arbiter</c>). Limits protect the service from oversized input.</summary>
public sealed class ArbiterOptions
{
    public const string Section = "Arbiter";

    /// <summary>The public base URL advertised as <c>policy_decision_point</c> in the AuthZEN metadata.</summary>
    [Required, Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    /// <summary>Largest request body accepted, in bytes (larger → 413).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted (deeper → 400).</summary>
    [Range(4, 256)]
    public int MaxJsonDepth { get; set; } = 32;

    /// <summary>Most evaluations in one batch (more → 400).</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Largest search page (<c>page.limit</c> above it is capped).</summary>
    [Range(1, 100_000)]
    public int MaxPageSize { get; set; } = 1000;

    [Range(1, 100_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>
    /// When evaluation responses carry the explanation (decision id, snapshot version, mode, policies, legs, reasons):
    /// <see cref="ExplainMode.OnRequest"/> (default) only when the request says <c>"options":{"explain":true}</c>;
    /// <see cref="ExplainMode.Always"/> on every response. The decision log holds it either way.
    /// </summary>
    public ExplainMode Explain { get; set; } = ExplainMode.OnRequest;
}

public enum ExplainMode { OnRequest, Always }
