using Arbiter.Api.Health;
using Arbiter.Functions.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Functions.Tests;

public sealed class HealthFunctionTests
{
    [Fact]
    public void Run_Always_ReturnsHealthyWithClockTime()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var function = new HealthFunction(new HealthEndpoint(clock));

        var result = function.Run(new DefaultHttpContext().Request);

        var ok = Assert.IsType<Ok<HealthReport>>(result);
        Assert.Equal("healthy", ok.Value!.Status);
        Assert.Equal(clock.GetUtcNow(), ok.Value.CheckedAt);
    }
}
