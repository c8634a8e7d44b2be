using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Arbiter.Gateway;

/// <summary>YARP's routes and clusters from <see cref="GatewayOptions"/>: one route <c>/mcp/{name}</c> and one cluster per upstream.</summary>
public static class GatewayProxyConfig
{
    public const string RoutePrefix = "/mcp/";

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(GatewayOptions options)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var (name, upstream) in options.Upstreams)
        {
            routes.Add(new RouteConfig
            {
                RouteId = "mcp-" + name,
                ClusterId = name,
                Match = new RouteMatch { Path = RoutePrefix + name },
                // Every route needs an authenticated caller: the default policy (an authenticated user).
                AuthorizationPolicy = "default",
                Metadata = new Dictionary<string, string> { [McpGatewayMiddleware.UpstreamMetadata] = name },
            });
            var url = upstream.Url!;
            clusters.Add(new ClusterConfig
            {
                ClusterId = name,
                Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
                {
                    ["upstream"] = new() { Address = url.GetLeftPart(UriPartial.Authority) },
                },
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = upstream.Timeout },
            });
        }
        return (routes, clusters);
    }
}
