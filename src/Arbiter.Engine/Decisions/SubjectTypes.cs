using System.Text.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Decisions;

public static class SubjectTypes
{
    public const string User = "user";
    public const string Agent = "agent";
}
