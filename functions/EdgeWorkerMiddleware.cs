using System.Collections.Concurrent;
using System.Reflection;
using Arbiter.Api.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Arbiter.Functions;

/// <summary>
/// <see cref="ArbiterEdge"/> as worker middleware, for HTTP invocations only (<c>UseWhen</c> in Program.cs): the
/// request id, the caller's authentication with the role the function (or its class) declares with
/// <see cref="RequiresRoleAttribute"/> — an HTTP function that declares none is treated as admin-only, failing closed
/// — and any exception mapped to a problem. A refusal or a problem becomes the invocation's result, which the ASP.NET
/// Core integration executes like any returned <c>IResult</c>.
/// </summary>
public sealed class EdgeWorkerMiddleware(ArbiterEdge edge) : IFunctionsWorkerMiddleware
{
    private static readonly ConcurrentDictionary<string, CallerRole> Roles = new(StringComparer.Ordinal);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext()!;
        var role = Roles.GetOrAdd(context.FunctionDefinition.EntryPoint, RoleOf);
        try
        {
            if (await edge.EnterAsync(http, role, context.CancellationToken) is { } refused)
            {
                context.GetInvocationResult().Value = refused;
                return;
            }
            await next(context);
        }
        catch (Exception e) when (!http.Response.HasStarted && !(e is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
        {
            var inner = e is TargetInvocationException or AggregateException && e.InnerException is { } i ? i : e;
            context.GetInvocationResult().Value = edge.Fail(http, inner);
        }
    }

    /// <summary>The role of an entry point <c>Namespace.Type.Method</c>: the method's attribute, else its class's, else Admin.</summary>
    public static CallerRole RoleOf(string entryPoint)
    {
        var dot = entryPoint.LastIndexOf('.');
        var type = typeof(EdgeWorkerMiddleware).Assembly.GetType(entryPoint[..dot]);
        var method = type?.GetMethod(entryPoint[(dot + 1)..]);
        return (method?.GetCustomAttribute<RequiresRoleAttribute>() ?? type?.GetCustomAttribute<RequiresRoleAttribute>())?.Role ?? CallerRole.Admin;
    }
}
