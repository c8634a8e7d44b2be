using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Arbiter.Governance.Reviews;

/// <summary>
/// The Azure Storage queue that announces review tasks (<see cref="GovernanceOptions.ReviewQueue"/>). The client comes
/// from DI; the one <c>AddArbiterGovernance</c> registers encodes messages in Base64, as the Functions queue trigger
/// expects by default. The queue is created on first use.
/// </summary>
public sealed class ReviewQueue(QueueServiceClient service, IOptions<GovernanceOptions> options)
{
    private volatile bool _created;

    public QueueClient Client => service.GetQueueClient(options.Value.ReviewQueue);

    public async Task SendAsync(ReviewMessage message, CancellationToken cancellationToken)
    {
        var client = Client;
        if (!_created)
        {
            await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _created = true;
        }
        await client.SendMessageAsync(JsonSerializer.Serialize(message, GovernanceJsonContext.Default.ReviewMessage), cancellationToken);
    }
}
