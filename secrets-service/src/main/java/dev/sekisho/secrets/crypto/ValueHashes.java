package dev.sekisho.secrets.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed hashes (HMAC-SHA256) of values: what audit records carry instead of a value, so an investigator holding a
 * known value can ask whether it was served, while the record alone reveals nothing.
 */
public final class ValueHashes {

    private final SecretKeySpec key;

    public ValueHashes(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the HMAC key needs at least 32 bytes");
        }
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    public static ValueHashes fromBase64(String text) {
        try {
            return new ValueHashes(Base64.getDecoder().decode(text.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sekisho.secrets.hmac-key: " + (e.getMessage().contains("32") ? e.getMessage() : "not base64"));
        }
    }

    /** {@code hmac-sha256:<base64url>} of the bytes, under a purpose label so that one hash never stands for another. */
    public String of(String purpose, byte[] value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return "hmac-sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Constant-time comparison of two hashes. */
    public static boolean same(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(a.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                b.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
