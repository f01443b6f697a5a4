namespace OssPresign.Signing;

/// <summary>
/// A derived signing key (OSS-V4.md §1.11) ready for HMAC: with libcrypto, its inner and outer SHA-256 states are
/// computed here once, since the signer caches one instance per (secret, date, region, product).
/// </summary>
internal sealed class SigningKey
{
    private readonly OpenSslSha256.HmacState _nativeState;

    public SigningKey(byte[] bytes)
    {
        Bytes = bytes;
        if (OpenSslSha256.IsAvailable)
        {
            _nativeState = OpenSslSha256.CreateHmacState(bytes);
        }
    }

    /// <summary>The 32 key bytes; never mutated (the fallback HMAC recognises its key by this array).</summary>
    public byte[] Bytes { get; }

    public void HmacSha256(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (OpenSslSha256.IsAvailable)
        {
            OpenSslSha256.Hmac(_nativeState, data, destination);
        }
        else
        {
            ReusedHashes.HmacSha256(Bytes, data, destination);
        }
    }
}
