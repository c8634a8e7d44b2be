namespace Arbiter.Samples.DevIssuer;

/// <summary>The development issuer on its own (for infra/demo-mcp.sh): <see cref="DevIssuer"/> on --url (default http://127.0.0.1:5090).</summary>
public static class DevIssuerProgram
{
    public static async Task Main(string[] args)
    {
        var url = new Uri(args.SkipWhile(a => a != "--url").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:5090");
        await using var issuer = await DevIssuer.StartAsync(url);
        Console.WriteLine($"Development issuer listening on {issuer.Issuer} (loopback only; tokens for local demos, never production)");
        await issuer.WaitForShutdownAsync();
    }
}
