using System.Net;
using Arbiter.Client;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

public static class ArbiterClientServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="ArbiterClient"/> as a typed HTTP client, in the Azure SDK style: options bound from
    /// <paramref name="configuration"/> (e.g. <c>Arbiter:Client</c>) and validated at start-up. When
    /// <see cref="ArbiterClientOptions.Scope"/> is set, calls carry a token from the registered <see cref="TokenCredential"/>
    /// (<see cref="DefaultAzureCredential"/> when none is). Resilience: one overall timeout per call, and a bounded retry
    /// only when the connection itself failed (nothing reached Arbiter). Time comes from the registered <see cref="TimeProvider"/>.
    /// </summary>
    public static IHttpClientBuilder AddArbiterClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ArbiterClientOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DecisionCache>();
        // One credential for the app (its token cache with it); an app's own registration, before or after, wins.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());

        var builder = services.AddHttpClient<ArbiterClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<ArbiterClientOptions>>().Value;
            var endpoint = options.Endpoint!.AbsoluteUri;
            http.BaseAddress = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/");
            // The resilience pipeline owns the timeout; this is only a backstop above it.
            http.Timeout = options.Timeout + TimeSpan.FromSeconds(1);
            http.MaxResponseContentBufferSize = 4 * 1024 * 1024;
            http.DefaultRequestVersion = HttpVersion.Version11;
        });
        builder.AddHttpMessageHandler(provider =>
        {
            var options = provider.GetRequiredService<IOptions<ArbiterClientOptions>>().Value;
            if (string.IsNullOrWhiteSpace(options.Scope))
                return new PassThroughHandler();
            return new ArbiterCredentialHandler(provider.GetRequiredService<TokenCredential>(), options.Scope, provider.GetRequiredService<TimeProvider>());
        });
        builder.AddResilienceHandler("arbiter", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<ArbiterClientOptions>>().Value;
            pipeline.TimeProvider = context.ServiceProvider.GetRequiredService<TimeProvider>();
            pipeline.AddTimeout(options.Timeout);
            if (options.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Constant,
                    Delay = TimeSpan.Zero,
                    UseJitter = false,
                    // Evaluations and searches are side-effect free, but only a refused connection is certain to have
                    // decided nothing; a 5xx or a slow answer is not retried, the caller fails closed at once.
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }),
                });
            }
        });
        return builder;
    }

    /// <summary>No credential in local development (Arbiter in Development mode on loopback).</summary>
    private sealed class PassThroughHandler : DelegatingHandler;
}
