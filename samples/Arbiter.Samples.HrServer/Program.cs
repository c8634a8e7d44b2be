namespace Arbiter.Samples.HrServer;

/// <summary>The sample HR MCP server protected by Arbiter.Mcp; settings in hrserver.settings.json, overridable on the command line.</summary>
public static class HrServerProgram
{
    public static async Task Main(string[] args)
    {
        var app = HrServerApp.Create(args);
        await app.RunAsync();
    }
}
