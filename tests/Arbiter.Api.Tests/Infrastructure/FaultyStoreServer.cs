using Arbiter.Api.Tests.Snapshots;
using Arbiter.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Arbiter.Api.Tests.Infrastructure;

/// <summary>The development server over a <see cref="SwitchableStore"/>, so a test can reach the edge's exception mapping.</summary>
public sealed class FaultyStoreServer : ArbiterServerFixture
{
    public SwitchableStore Store => (SwitchableStore)Services.GetRequiredService<IDocumentStore>();

    protected override void ConfigureServices(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IDocumentStore));
        services.Remove(registered);
        services.AddSingleton<IDocumentStore>(sp =>
            new SwitchableStore((IDocumentStore)registered.ImplementationFactory!(sp), sp.GetRequiredService<IChangeFeed>()));
    }
}
