using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Arbiter.Runtime;

public static class AzureClientsServiceCollectionExtensions
{
    /// <summary>
    /// The one <see cref="TokenCredential"/> of the process (a registered one wins: tests, samples), shared by every
    /// Azure client: those built by <c>AddAzureClients</c> (the governance queue) through <c>UseCredential</c>, and the
    /// clients that are not Azure.Core clients (Cosmos DB, Microsoft Graph, the Azure Monitor exporter) by resolving it.
    /// In Azure it is <see cref="DefaultAzureCredential"/> on the user-assigned identity named by <c>AZURE_CLIENT_ID</c>.
    /// </summary>
    public static IServiceCollection AddArbiterAzureCredential(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<TokenCredential>(_ =>
        {
            var options = new DefaultAzureCredentialOptions();
            // The SDK reads the environment variable itself; configuration also covers appsettings and the command line.
            if (configuration["AZURE_CLIENT_ID"] is { Length: > 0 } clientId)
                options.ManagedIdentityClientId = clientId;
            return new DefaultAzureCredential(options);
        });
        services.AddAzureClients(azure => azure.UseCredential(sp => sp.GetRequiredService<TokenCredential>()));
        return services;
    }
}
