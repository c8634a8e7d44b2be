namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>The development server with governance on, so its route table is the whole API.</summary>
public sealed class FullApiServer : ArbiterServerFixture
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        // Only the routes are needed: nothing is announced, so no queue has to exist.
        settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        return settings;
    }
}
