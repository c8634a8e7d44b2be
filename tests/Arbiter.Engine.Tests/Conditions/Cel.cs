using System.Text.Json;
using Arbiter.Engine.Conditions;

namespace Arbiter.Engine.Tests.Conditions;

/// <summary>
/// A small environment for the language tests: <c>data</c> is request-like JSON (dyn), <c>name</c> a string,
/// <c>n</c> an int, <c>tags</c> a list of strings, <c>when</c> a timestamp (2026-11-29T12:00:00Z, a Sunday).
/// </summary>
internal static class Cel
{
    public static readonly DateTime When = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);

    private sealed class TestActivation(JsonElement data) : Activation
    {
        public JsonElement Data { get; } = data;
    }

    public static readonly ConditionEnvironment Environment = new ConditionEnvironment()
        .Declare("data", CelType.Dyn, a => CelValue.FromJson(((TestActivation)a).Data))
        .Declare("name", CelType.String, _ => CelValue.String("alice"))
        .Declare("n", CelType.Int, _ => CelValue.Int(42))
        .Declare("tags", CelType.StringList, _ => CelValue.List(new CelList.Strings(["a", "b"])))
        .Declare("when", CelType.Timestamp, _ => CelValue.Timestamp(When.Ticks));

    public static ConditionProgram Compile(string text)
    {
        Assert.Null(ConditionProgram.TryCompile(text, Environment, out var program));
        return program!;
    }

    public static Activation Activation(string json) => new TestActivation(JsonDocument.Parse(json).RootElement);

    /// <summary>The compile error, or null.</summary>
    public static string? CompileError(string text) => ConditionProgram.TryCompile(text, Environment, out _);

    /// <summary>"true", "false", or "error: …" — what the condition gives over <paramref name="json"/>.</summary>
    public static string Outcome(string text, string json = "{}")
    {
        var error = ConditionProgram.TryCompile(text, Environment, out var program);
        Assert.True(error is null, $"'{text}' does not compile: {error}");
        using var doc = JsonDocument.Parse(json);
        var holds = program!.Holds(new TestActivation(doc.RootElement), out var problem);
        return holds is { } b ? (b ? "true" : "false") : "error: " + problem;
    }
}
