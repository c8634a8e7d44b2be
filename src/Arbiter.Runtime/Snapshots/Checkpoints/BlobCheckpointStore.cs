using System.Globalization;
using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace Arbiter.Runtime.Snapshots.Checkpoints;

/// <summary>
/// Checkpoints as block blobs, one per tenant (<c>tenants/{tenant}/snapshot.ckpt</c>), replaced with
/// <c>If-Match</c>/<c>If-None-Match: *</c>; the fingerprint and write time ride along as blob metadata so a writer can
/// decide with one HEAD request. The container is created on the first write that finds it missing.
/// </summary>
public sealed class BlobCheckpointStore(BlobServiceClient service, IOptions<SnapshotOptions> options) : ICheckpointStore
{
    private const string FingerprintKey = "fingerprint";
    private const string WrittenAtKey = "writtenat";

    private BlobContainerClient Container => service.GetBlobContainerClient(options.Value.Checkpoint.Container);

    private BlobClient Blob(string tenantId) => Container.GetBlobClient("tenants/" + Uri.EscapeDataString(tenantId) + "/snapshot.ckpt");

    public async Task<StoredCheckpoint?> ReadAsync(string tenantId, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Blob(tenantId).DownloadStreamingAsync(cancellationToken: cancellationToken);
            using var download = response.Value;
            var etag = download.Details.ETag.ToString();
            if (download.Details.ContentLength > maxBytes)
                return new StoredCheckpoint(ReadOnlyMemory<byte>.Empty, etag, TooLarge: true);
            var buffer = new MemoryStream((int)Math.Max(0, download.Details.ContentLength));
            await download.Content.CopyToAsync(buffer, cancellationToken);
            return new StoredCheckpoint(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), etag, TooLarge: false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<CheckpointHead?> GetHeadAsync(string tenantId, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await Blob(tenantId).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            // Unreadable metadata reads as "nothing known" (fingerprint 0, written long ago): the next write replaces it.
            var fingerprint = properties.Metadata.TryGetValue(FingerprintKey, out var f) && long.TryParse(f, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
            var writtenAt = properties.Metadata.TryGetValue(WrittenAtKey, out var w) && DateTimeOffset.TryParse(w, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : DateTimeOffset.MinValue;
            return new CheckpointHead(fingerprint, writtenAt, properties.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> TryWriteAsync(string tenantId, ReadOnlyMemory<byte> content, CheckpointHead head, string? ifMatch, CancellationToken cancellationToken)
    {
        var upload = new BlobUploadOptions
        {
            Conditions = ifMatch is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = new ETag(ifMatch) },
            Metadata = new Dictionary<string, string>
            {
                [FingerprintKey] = ((ulong)head.Fingerprint).ToString("x16", CultureInfo.InvariantCulture),
                [WrittenAtKey] = head.WrittenAt.ToString("O", CultureInfo.InvariantCulture),
            },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Blob(tenantId).UploadAsync(new BinaryData(content), upload, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.Conflict
                && e.ErrorCode != BlobErrorCode.ContainerBeingDeleted)
            {
                // 412: the blob changed since its ETag was read; 409 (BlobAlreadyExists): it was created meanwhile.
                return false;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && attempt == 0)
            {
                await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            }
        }
    }
}
