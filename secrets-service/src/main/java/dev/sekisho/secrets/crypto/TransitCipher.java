package dev.sekisho.secrets.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import com.google.crypto.tink.subtle.Hkdf;

/**
 * Transit's cryptography for one version of one named key (AES-256-GCM, 96-bit nonces, through JCA): ciphertexts and
 * HMACs name their key version ({@code sekisho:v3:<base64>}); the key name and version are associated data, so a
 * ciphertext opens under no other key or version. A derived key is HKDF-SHA256 (Tink) of the version's material with
 * the caller's context; the HMAC key is another HKDF output, never the encryption key itself.
 */
public final class TransitCipher {

    public static final String PREFIX = "sekisho:v";
    private static final byte[] DERIVE = "sekisho.transit.derive.v1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HMAC = "sekisho.transit.hmac.v1".getBytes(StandardCharsets.UTF_8);

    /** A ciphertext or HMAC text that is not one: malformed, or a version that cannot be one. Says nothing about the key. */
    public static final class InvalidTextException extends Exception {
        public InvalidTextException(String message) {
            super(message, null, false, false);
        }
    }

    /** The version and raw bytes a {@code sekisho:vN:...} text carries. */
    public record Parsed(int version, byte[] bytes) {
    }

    private final String name;
    private final int version;
    private final SecretKey key;
    private final SecretKeySpec hmacKey;
    private final byte[] material;

    public TransitCipher(String name, int version, byte[] material) {
        if (material.length != MasterKeyRing.KEY_BYTES) {
            throw new IllegalArgumentException("a transit key version is " + MasterKeyRing.KEY_BYTES + " bytes");
        }
        this.name = name;
        this.version = version;
        this.material = material.clone();
        this.key = new SecretKeySpec(this.material, "AES");
        this.hmacKey = new SecretKeySpec(hkdf(this.material, HMAC), "HmacSHA256");
    }

    public int version() {
        return version;
    }

    /** {@code sekisho:vN:} and the nonce, ciphertext and tag in base64; {@code context} null for a key that is not derived. */
    public String encrypt(byte[] plaintext, byte[] context) {
        try {
            byte[] nonce = Envelope.nonce();
            byte[] body = Envelope.gcm(Cipher.ENCRYPT_MODE, keyFor(context), nonce, aad(), plaintext);
            return text(ByteBuffer.allocate(nonce.length + body.length).put(nonce).put(body).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** The plaintext of bytes parsed from one of this version's ciphertexts. */
    public byte[] decrypt(byte[] bytes, byte[] context) throws Envelope.TamperedException {
        if (bytes.length < Envelope.NONCE_BYTES + Envelope.TAG_BITS / 8) {
            throw new Envelope.TamperedException("the ciphertext is too short");
        }
        try {
            return Envelope.gcm(Cipher.DECRYPT_MODE, keyFor(context), Arrays.copyOfRange(bytes, 0, Envelope.NONCE_BYTES), aad(),
                    Arrays.copyOfRange(bytes, Envelope.NONCE_BYTES, bytes.length));
        } catch (AEADBadTagException e) {
            throw new Envelope.TamperedException("the ciphertext does not open under this key version (or context)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** {@code sekisho:vN:} and the HMAC-SHA256 of the input in base64. */
    public String hmac(byte[] input) {
        return text(mac(input));
    }

    /** Whether a parsed HMAC (of this version) is the input's, compared in constant time. */
    public boolean verify(byte[] input, byte[] mac) {
        return MessageDigest.isEqual(mac(input), mac);
    }

    private byte[] mac(byte[] input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(hmacKey);
            return mac.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    public static Parsed parse(String text) throws InvalidTextException {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new InvalidTextException("not a Sekisho ciphertext (sekisho:v<version>:<base64>)");
        }
        int colon = text.indexOf(':', PREFIX.length());
        if (colon < 0 || colon == PREFIX.length() || colon - PREFIX.length() > 9) {
            throw new InvalidTextException("not a Sekisho ciphertext (sekisho:v<version>:<base64>)");
        }
        int version;
        try {
            version = Integer.parseInt(text.substring(PREFIX.length(), colon));
        } catch (NumberFormatException e) {
            throw new InvalidTextException("the key version of the ciphertext is not a number");
        }
        if (version < 1) {
            throw new InvalidTextException("key versions start at 1");
        }
        try {
            return new Parsed(version, Base64.getDecoder().decode(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new InvalidTextException("the body of the ciphertext is not base64");
        }
    }

    private String text(byte[] bytes) {
        return PREFIX + version + ":" + Base64.getEncoder().encodeToString(bytes);
    }

    private SecretKey keyFor(byte[] context) {
        if (context == null) {
            return key;
        }
        byte[] info = ByteBuffer.allocate(DERIVE.length + 1 + context.length).put(DERIVE).put((byte) 0).put(context).array();
        return new SecretKeySpec(hkdf(material, info), "AES");
    }

    private byte[] aad() {
        return ("sekisho.transit.v1\n" + name + "\n" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hkdf(byte[] material, byte[] info) {
        try {
            return Hkdf.computeHkdf("HMACSHA256", material, new byte[0], info, MasterKeyRing.KEY_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is not available", e);
        }
    }
}
