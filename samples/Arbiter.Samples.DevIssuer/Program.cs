using Arbiter.Samples.DevIssuer;

// The development issuer on its own (for infra/demo-mcp.sh): DevIssuer on --url (default http://127.0.0.1:5090).
var url = new Uri(args.SkipWhile(a => a != "--url").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:5090");
await using var issuer = await DevIssuer.StartAsync(url);
Console.WriteLine($"Development issuer listening on {issuer.Issuer} (loopback only; tokens for local demos, never production)");
var stopped = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stopped.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stopped.TrySetResult();
await stopped.Task;
