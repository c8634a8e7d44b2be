namespace Arbiter.Runtime;

public enum StoreKind { Sqlite, Cosmos }

/// <summary><c>Store:Kind</c>: the embedded SQLite store (default; local runs and the sidecar) or Cosmos DB.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    public StoreKind Kind { get; set; } = StoreKind.Sqlite;
}
