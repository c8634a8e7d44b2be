using System.Text.Encodings.Web;
using System.Text.Json;

namespace Arbiter.Cli;

/// <summary>How the remote commands write JSON: the API's web conventions for bodies, indented and readable for files and output.</summary>
internal static class RemoteJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
