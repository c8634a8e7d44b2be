namespace Arbiter.Graph.Sync;

/// <summary>The resources a run syncs, also the keys of <see cref="SyncResult.Counts"/>.</summary>
public static class SyncResources
{
    public const string Users = "users";
    public const string Groups = "groups";
    public const string Agents = "agents";
}
