package dev.sekisho.secrets.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption of one secret version (JCA, AES-256-GCM twice): a fresh 256-bit data key seals the value with
 * the path and version as associated data; the current master key wraps the data key with the path, version and
 * master version as associated data. A sealed version moved to another path or version, or a wrapped key moved to
 * another version, does not open. {@link #rewrap} changes the wrapping only, never the sealed value.
 */
public final class Envelope {

    /** A sealed version as stored: value nonce and ciphertext (with its tag), the wrapped data key and its master version. */
    public record Sealed(byte[] nonce, byte[] ciphertext, byte[] wrappedKey, int masterVersion) {
    }

    /** The stored bytes do not open: tampered, moved, or wrapped by a key that is not the one named. */
    public static final class TamperedException extends Exception {
        public TamperedException(String message) {
            super(message, null, false, false);
        }
    }

    /** The master version that wrapped the data key is no longer in the ring. */
    public static final class UnknownMasterKeyException extends Exception {
        public UnknownMasterKeyException(int version) {
            super("master key version " + version + " is not in the ring", null, false, false);
        }
    }

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MasterKeyRing ring;

    public Envelope(MasterKeyRing ring) {
        this.ring = ring;
    }

    public MasterKeyRing ring() {
        return ring;
    }

    public Sealed seal(String path, int version, byte[] plaintext) {
        byte[] dataKey = new byte[MasterKeyRing.KEY_BYTES];
        RANDOM.nextBytes(dataKey);
        try {
            byte[] nonce = nonce();
            byte[] ciphertext = gcm(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), nonce, valueAad(path, version), plaintext);
            int master = ring.currentVersion();
            return new Sealed(nonce, ciphertext, wrap(ring.current(), dataKey, keyAad(path, version, master)), master);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(dataKey, (byte) 0);
        }
    }

    public byte[] open(String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        byte[] dataKey = unwrap(path, version, sealed);
        try {
            return gcm(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), sealed.nonce(), valueAad(path, version), sealed.ciphertext());
        } catch (AEADBadTagException | IllegalArgumentException e) {
            throw new TamperedException("the sealed value of " + path + " version " + version + " does not open");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(dataKey, (byte) 0);
        }
    }

    /** The same data key wrapped by the current master key; the value is untouched. */
    public Sealed rewrap(String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        byte[] dataKey = unwrap(path, version, sealed);
        try {
            int master = ring.currentVersion();
            return new Sealed(sealed.nonce(), sealed.ciphertext(), wrap(ring.current(), dataKey, keyAad(path, version, master)), master);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(dataKey, (byte) 0);
        }
    }

    private byte[] unwrap(String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        SecretKey master = ring.version(sealed.masterVersion()).orElseThrow(() -> new UnknownMasterKeyException(sealed.masterVersion()));
        byte[] wrapped = sealed.wrappedKey();
        if (wrapped == null || wrapped.length != NONCE_BYTES + MasterKeyRing.KEY_BYTES + TAG_BITS / 8) {
            throw new TamperedException("the data key of " + path + " version " + version + " is damaged");
        }
        try {
            byte[] nonce = java.util.Arrays.copyOfRange(wrapped, 0, NONCE_BYTES);
            byte[] body = java.util.Arrays.copyOfRange(wrapped, NONCE_BYTES, wrapped.length);
            return gcm(Cipher.DECRYPT_MODE, master, nonce, keyAad(path, version, sealed.masterVersion()), body);
        } catch (AEADBadTagException e) {
            throw new TamperedException("the data key of " + path + " version " + version + " does not open");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    private static byte[] wrap(SecretKey master, byte[] dataKey, byte[] aad) throws GeneralSecurityException {
        byte[] nonce = nonce();
        byte[] body = gcm(Cipher.ENCRYPT_MODE, master, nonce, aad, dataKey);
        return ByteBuffer.allocate(nonce.length + body.length).put(nonce).put(body).array();
    }

    private static byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] aad, byte[] input) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(input);
    }

    private static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    static byte[] valueAad(String path, int version) {
        return ("sekisho.secret.value.v1\n" + path + "\n" + version).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] keyAad(String path, int version, int masterVersion) {
        return ("sekisho.secret.key.v1\n" + path + "\n" + version + "\n" + masterVersion).getBytes(StandardCharsets.UTF_8);
    }
}
