package io.losswatch.notify;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 request signatures: {@code sha256=hex(HMAC(secret, timestamp + "." + body))}, with the
 * timestamp (Unix seconds) in its own header. Signing the timestamp lets a receiver refuse old
 * requests replayed by someone who recorded one; the timestamp is fresh on every attempt.
 */
public final class Signature {
    /** {@code sha256=<64 hex digits>}. */
    public static final String SIGNATURE_HEADER = "X-Losswatch-Signature";
    /** Unix seconds when the request was signed. */
    public static final String TIMESTAMP_HEADER = "X-Losswatch-Timestamp";

    public static final String PREFIX = "sha256=";

    private Signature() {}

    public static String sign(String secret, long unixSeconds, byte[] body) {
        Mac mac = mac(secret);
        mac.update(Long.toString(unixSeconds).getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) '.');
        mac.update(body);
        return PREFIX + HexFormat.of().formatHex(mac.doFinal());
    }

    /** What a receiver does: recompute and compare in constant time. */
    public static boolean verify(String secret, String timestampHeader, byte[] body, String signatureHeader) {
        if (timestampHeader == null || signatureHeader == null) {
            return false;
        }
        long ts;
        try {
            ts = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        byte[] expected = sign(secret, ts, body).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.US_ASCII));
    }

    private static Mac mac(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
