using Microsoft.Extensions.Options;

namespace Arbiter.Store.Cosmos;

/// <summary>Fails the cold start on a bad <c>Cosmos</c> section, naming the setting.</summary>
internal sealed class CosmosStoreOptionsValidator : IValidateOptions<CosmosStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, CosmosStoreOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.AccountEndpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Cosmos:AccountEndpoint must be an absolute https URL of the account.");
        }
        else
        {
            if (!string.IsNullOrEmpty(options.Key) && !options.IsLoopback)
            {
                failures.Add("Cosmos:Key is only allowed for a loopback endpoint (local test server or emulator); use the managed identity for any other endpoint.");
            }

            if (endpoint.Scheme == Uri.UriSchemeHttp && !options.IsLoopback)
            {
                failures.Add("Cosmos:AccountEndpoint must use https.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            failures.Add("Cosmos:Database is required.");
        }

        string[] containers = [options.PoliciesContainer, options.DirectoryContainer, options.GovernanceContainer, options.DecisionsContainer];
        if (containers.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Cosmos:PoliciesContainer, DirectoryContainer, GovernanceContainer and DecisionsContainer must not be empty.");
        }
        else if (containers.Distinct(StringComparer.Ordinal).Count() != containers.Length)
        {
            failures.Add("Cosmos container names must be distinct.");
        }

        if (options.PollingOverlap < TimeSpan.FromSeconds(1) || options.PollingOverlap > TimeSpan.FromMinutes(10))
        {
            failures.Add("Cosmos:PollingOverlap must be between 1 second and 10 minutes.");
        }

        if (options.MaxParallelism is < 1 or > 64)
        {
            failures.Add("Cosmos:MaxParallelism must be between 1 and 64.");
        }

        if (!Enum.IsDefined(options.ReadMode))
        {
            failures.Add("Cosmos:ReadMode must be Query or PointRead.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add("Cosmos:RequestTimeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
