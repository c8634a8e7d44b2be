using System.ComponentModel;
using ModelContextProtocol.Server;

namespace Arbiter.Mcp.Tests.Infrastructure;

/// <summary>Two resources, so a list can be seen filtered.</summary>
[McpServerResourceType]
public sealed class TestResources
{
    [McpServerResource(UriTemplate = "docs://handbook", Name = "handbook"), Description("The handbook.")]
    public static string Handbook() => "the handbook";

    [McpServerResource(UriTemplate = "docs://secrets", Name = "secrets"), Description("Secrets.")]
    public static string Secrets() => "the secrets";
}
