using Arbiter.Api.Health;
using Microsoft.Extensions.Time.Testing;

namespace Arbiter.Api.Tests;

/// <summary>The decision log "is losing records" while its lost count grew within the window, and recovers after it.</summary>
public sealed class DecisionLogLossWatchTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Losing_NothingLost_False() => Assert.False(new DecisionLogLossWatch(_time).Losing(0));

    [Fact]
    public void Losing_CountGrew_TrueUntilTheWindowPasses()
    {
        var watch = new DecisionLogLossWatch(_time);
        watch.Losing(0);

        Assert.True(watch.Losing(3));
        _time.Advance(DecisionLogLossWatch.Window - TimeSpan.FromSeconds(1));
        Assert.True(watch.Losing(3));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(watch.Losing(3));
    }

    [Fact]
    public void Losing_GrewAgainLater_WindowStartsAgain()
    {
        var watch = new DecisionLogLossWatch(_time);
        watch.Losing(1);
        _time.Advance(DecisionLogLossWatch.Window);
        Assert.False(watch.Losing(1));

        Assert.True(watch.Losing(2));
    }
}
