using System.Net.Security;
using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace Arbiter.Store.Cosmos;

/// <summary>Builds the one <see cref="CosmosClient"/> of the process.</summary>
public static class CosmosClientFactory
{
    /// <summary>
    /// Gateway mode limited to the configured endpoint. A loopback endpoint (test server, emulator) may use a key and a
    /// self-signed certificate; every other endpoint uses <paramref name="credential"/> and normal certificate validation.
    /// </summary>
    public static CosmosClient Create(CosmosStoreOptions options, Func<TokenCredential> credential)
    {
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "arbiter",
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            RequestTimeout = options.RequestTimeout,
            EnableContentResponseOnWrite = true,
        };
        if (options.IsLoopback)
        {
            // Local servers present self-signed (even expired) certificates; trusted only because the endpoint is this machine.
            clientOptions.ServerCertificateCustomValidationCallback = (_, _, errors) => errors == SslPolicyErrors.None || options.IsLoopback;
        }

        return string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(options.AccountEndpoint, credential(), clientOptions)
            : new CosmosClient(options.AccountEndpoint, options.Key, clientOptions);
    }
}
