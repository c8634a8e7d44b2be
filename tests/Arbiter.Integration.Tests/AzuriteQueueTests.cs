using Azure.Storage.Queues;

namespace Arbiter.Integration.Tests;

/// <summary>Talks to the Azurite started by infra/servers.sh (the test command starts it).</summary>
public sealed class AzuriteQueueTests
{
    private static string ConnectionString =>
        Environment.GetEnvironmentVariable("ARBITER_TEST_STORAGE") ?? "UseDevelopmentStorage=true";

    [Fact]
    public async Task SendAndReceive_OnAzurite_RoundTripsTheMessage()
    {
        var queue = new QueueClient(ConnectionString, "it-" + Guid.NewGuid().ToString("n"));
        await queue.CreateAsync();
        try
        {
            await queue.SendMessageAsync("review-task:42");
            var received = await queue.ReceiveMessageAsync();
            Assert.Equal("review-task:42", received.Value.MessageText);
            await queue.DeleteMessageAsync(received.Value.MessageId, received.Value.PopReceipt);
            var props = await queue.GetPropertiesAsync();
            Assert.Equal(0, props.Value.ApproximateMessagesCount);
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }
}
