using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Arbiter.Engine.Conditions;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Policies;
using Arbiter.Engine.Snapshots;

namespace Arbiter.Cli;

/// <summary>
/// <c>arbiter policy eval --condition EXPR --request FILE [--tenant FILE] [--now ISO]</c>: evaluates one condition for
/// one AuthZEN request as the engine would (<see cref="ConditionProbe"/>), with the registered facts of a tenant file
/// when one is given. Prints <c>true</c>, <c>false</c> or the evaluation error in CEL's words; exit 0 on true, 1 on
/// false, 2 on a compile or evaluation error or an input that cannot be read. Builds no host.
/// </summary>
internal static class PolicyEval
{
    public static Command Create()
    {
        var condition = new Option<string>("--condition") { Description = "The CEL condition, e.g. \"context.amount < 10000\"", Required = true };
        var request = new Option<string>("--request") { Description = "AuthZEN evaluation request JSON ({subject, action, resource, context})", Required = true };
        var tenant = new Option<string?>("--tenant") { Description = "Tenant file (arbiter-tenant/1) whose users, agents and resources supply the registered facts" };
        var now = new Option<string?>("--now") { Description = "The value of 'now' (ISO 8601, e.g. 2026-12-01T09:00:00Z; default: the current time)" };
        var command = new Command("eval", "Evaluate a condition against a request, without a server") { condition, request, tenant, now };
        command.SetAction(parse => Run(parse.GetValue(condition)!, parse.GetValue(request)!, parse.GetValue(tenant), parse.GetValue(now)));
        return command;
    }

    private static int Run(string condition, string requestPath, string? tenantPath, string? nowText)
    {
        var now = TimeProvider.System.GetUtcNow();
        if (nowText is not null && !DateTimeOffset.TryParse(nowText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out now))
        {
            Console.Error.WriteLine($"--now: '{nowText}' is not an ISO 8601 timestamp (e.g. 2026-12-01T09:00:00Z)");
            return 2;
        }

        using var requestDocument = Read(requestPath);
        if (requestDocument is null)
            return 2;
        var request = RequestReader.Read(requestDocument.RootElement, default, out var requestProblem);
        if (request is null)
        {
            Console.Error.WriteLine($"{JsonFile.Place(requestPath, requestProblem!.Path)}: {requestProblem.Message}");
            return 2;
        }

        var snapshot = PolicySnapshot.Empty("cli", TimeProvider.System);
        if (tenantPath is not null)
        {
            using var tenantDocument = Read(tenantPath);
            if (tenantDocument is null)
                return 2;
            var problems = new List<Problem>();
            var state = TenantState.Empty.Apply(TenantFile.Read(tenantDocument.RootElement, problems));
            // A document the engine would leave out is left out here too; say so, since a fact the author expects may be missing.
            foreach (var problem in problems)
                Console.Error.WriteLine($"note: {JsonFile.Place(tenantPath, problem.Path)}: {problem.Message}");
            foreach (var (document, rejected) in state.Rejected)
                Console.Error.WriteLine($"note: {tenantPath}: {document} left out: {string.Join("; ", rejected.Select(p => $"{p.Path} {p.Message}"))}");
            snapshot = PolicySnapshot.Build("cli", state, 1, TimeProvider.System);
        }

        var probe = ConditionProbe.Run(condition, request, snapshot, now);
        foreach (var note in probe.Notes)
            Console.Error.WriteLine($"note: {note}");
        if (!probe.Compiled)
        {
            Console.Error.WriteLine($"condition does not compile as CEL: {probe.Problem}");
            return 2;
        }
        Console.Error.WriteLine($"{probe.Steps} step(s) of {ConditionLimits.MaxSteps}");
        if (probe.Outcome is not { } outcome)
        {
            Console.WriteLine($"error: {probe.Problem}");
            return 2;
        }
        Console.WriteLine(outcome ? "true" : "false");
        return outcome ? 0 : 1;
    }

    private static JsonDocument? Read(string path)
    {
        var document = JsonFile.TryRead(path, out var unreadable, out var invalid);
        if (unreadable is not null)
            Console.Error.WriteLine(unreadable);
        else if (document is null)
            Console.Error.WriteLine($"{JsonFile.Place(path, invalid!.Value.Pointer)}: {invalid.Value.Message}");
        return document;
    }
}
