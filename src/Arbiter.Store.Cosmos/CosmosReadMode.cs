namespace Arbiter.Store.Cosmos;

/// <summary>How <see cref="CosmosDocumentStore"/> reads one document (<c>Cosmos:ReadMode</c>).</summary>
public enum CosmosReadMode
{
    /// <summary>A single-partition query on the item id: served alike by every endpoint, the local test server included.</summary>
    Query,

    /// <summary><c>ReadItem</c> by id and partition key: the cheapest read on an account.</summary>
    PointRead,
}
