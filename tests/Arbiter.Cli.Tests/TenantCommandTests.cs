using Arbiter.Cli.Tests.Infrastructure;

namespace Arbiter.Cli.Tests;

/// <summary>Tenant import and export on a local SQLite store.</summary>
public sealed class TenantCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TenantImport_SchemaMembers_AreAcceptedAndExported()
    {
        var file = _folder.Write("tenant.json", """
            {"$schema":"../schemas/tenant.schema.json","format":"arbiter-tenant/1",
             "users":[{"id":"alice"}],
             "agents":[{"id":"a1","enabled":true}],
             "policies":[{"$schema":"../schemas/policy.schema.json","id":"p1","effect":"permit","agents":{"ids":["a1"]},"actions":["tools/list"],"modes":["agentOnly"]}]}
            """);

        var import = await CliProcess.RunAsync(_folder.Path, "tenant", "import", "--tenant", "t1", "--file", file, "--sqlite", "store.db");
        var export = await CliProcess.RunAsync(_folder.Path, "tenant", "export", "--tenant", "t1", "--sqlite", "store.db");

        Assert.True(import.ExitCode == 0, import.All);
        Assert.Contains("imported 3 documents into tenant 't1'", import.Output, StringComparison.Ordinal);
        Assert.Contains("\"p1\"", export.Output, StringComparison.Ordinal);
    }
}
