namespace Arbiter.Gateway;

/// <summary>The MCP gateway; settings in gateway.settings.json, the environment and the command line.</summary>
public static class GatewayProgram
{
    public static async Task Main(string[] args)
    {
        var app = GatewayApp.Create(args);
        await app.RunAsync();
    }
}
