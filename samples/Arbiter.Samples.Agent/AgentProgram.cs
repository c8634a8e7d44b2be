namespace Arbiter.Samples.Agent;

/// <summary>The demo agent: <c>--mcp</c> (the sample server's /mcp), <c>--issuer</c> (development issuer), <c>--arbiter</c> (Arbiter's base URL).</summary>
public static class AgentProgram
{
    public static async Task<int> Main(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var mcp = new Uri(Arg("--mcp", "http://127.0.0.1:5100/mcp"));
        var issuer = new Uri(Arg("--issuer", "http://127.0.0.1:5090/").TrimEnd('/') + "/");
        var arbiter = new Uri(Arg("--arbiter", "http://127.0.0.1:5080/").TrimEnd('/') + "/");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var agent = new DemoAgent(mcp, issuer, arbiter, Console.Out);
        return await agent.RunAsync(cancellation.Token);
    }
}
