using Arbiter.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol.Server;

namespace Microsoft.Extensions.DependencyInjection;

public static class ArbiterMcpBuilderExtensions
{
    /// <summary>
    /// Arbiter enforcement on this MCP server, in one call: <c>tools/list</c>, <c>resources/list</c> and
    /// <c>prompts/list</c> keep only what the caller may use; <c>tools/call</c>, <c>resources/read</c> and
    /// <c>prompts/get</c> are decided before their handler runs. <paramref name="configuration"/> is the <c>Arbiter</c>
    /// section: <c>Client</c> (<see cref="Arbiter.Client.ArbiterClientOptions"/>) and <c>Mcp</c>
    /// (<see cref="ArbiterMcpOptions"/>), both validated at start-up. The server's authentication must put the caller's
    /// validated token on the request (<c>HttpContext.User</c>) with its claims unmapped.
    /// </summary>
    public static IMcpServerBuilder WithArbiterAuthorization(this IMcpServerBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = builder.Services;
        services.AddArbiterClient(configuration.GetSection("Client"));
        services.AddOptions<ArbiterMcpOptions>().Bind(configuration.GetSection("Mcp")).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpContextAccessor();
        services.TryAddTransient<McpAuthorizer>();
        return builder.WithRequestFilters(filters =>
        {
            filters.AddListToolsFilter(next => (context, ct) => Authorizer(context).ListToolsAsync(context, next, ct));
            filters.AddCallToolFilter(next => (context, ct) => Authorizer(context).CallToolAsync(context, next, ct));
            filters.AddListResourcesFilter(next => (context, ct) => Authorizer(context).ListResourcesAsync(context, next, ct));
            filters.AddReadResourceFilter(next => (context, ct) => Authorizer(context).ReadResourceAsync(context, next, ct));
            filters.AddListPromptsFilter(next => (context, ct) => Authorizer(context).ListPromptsAsync(context, next, ct));
            filters.AddGetPromptFilter(next => (context, ct) => Authorizer(context).GetPromptAsync(context, next, ct));
        });
    }

    private static McpAuthorizer Authorizer(MessageContext context) =>
        (context.Services ?? throw new InvalidOperationException("MCP request without services")).GetRequiredService<McpAuthorizer>();
}
