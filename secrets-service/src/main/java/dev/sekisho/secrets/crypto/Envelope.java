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
 * Envelope encryption (JCA, AES-256-GCM twice): a fresh 256-bit data key seals a value with its domain, id and
 * version as associated data; the current master key wraps the data key with the domain, id, version and master
 * version as associated data. A sealed value moved to another id, version or domain, or a wrapped key moved to another
 * version, does not open. {@link #rewrap} changes the wrapping only, never the sealed value. Secret versions, tokens and
 * transit key material are its three domains (transit keys are wrapped only: they are the key).
 */
public final class Envelope {

    /** What a sealed value or wrapped key belongs to; part of every associated data, so one never opens as another. */
    public enum Domain {
        SECRET("secret"), TOKEN("token"), TRANSIT("transit");

        private final String label;

        Domain(String label) {
            this.label = label;
        }
    }

    /** A key wrapped by a master version. */
    public record Wrapped(byte[] wrappedKey, int masterVersion) {
    }

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

    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MasterKeyRing ring;

    public Envelope(MasterKeyRing ring) {
        this.ring = ring;
    }

    public MasterKeyRing ring() {
        return ring;
    }

    public Sealed seal(String path, int version, byte[] plaintext) {
        return seal(Domain.SECRET, path, version, plaintext);
    }

    public byte[] open(String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        return open(Domain.SECRET, path, version, sealed);
    }

    public Sealed rewrap(String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        return rewrap(Domain.SECRET, path, version, sealed);
    }

    public Sealed seal(Domain domain, String path, int version, byte[] plaintext) {
        byte[] dataKey = new byte[MasterKeyRing.KEY_BYTES];
        RANDOM.nextBytes(dataKey);
        try {
            byte[] nonce = nonce();
            byte[] ciphertext = gcm(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), nonce, valueAad(domain, path, version), plaintext);
            int master = ring.currentVersion();
            return new Sealed(nonce, ciphertext, wrap(ring.current(), dataKey, keyAad(domain, path, version, master)), master);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(dataKey, (byte) 0);
        }
    }

    public byte[] open(Domain domain, String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        byte[] dataKey = unwrap(domain, path, version, sealed.wrappedKey(), sealed.masterVersion());
        try {
            return gcm(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), sealed.nonce(), valueAad(domain, path, version),
                    sealed.ciphertext());
        } catch (AEADBadTagException | IllegalArgumentException e) {
            throw new TamperedException("the sealed value of " + path + " version " + version + " does not open");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(dataKey, (byte) 0);
        }
    }

    /** The same data key wrapped by the current master key; the value is untouched. */
    public Sealed rewrap(Domain domain, String path, int version, Sealed sealed) throws TamperedException, UnknownMasterKeyException {
        Wrapped wrapped = rewrapKey(domain, path, version, new Wrapped(sealed.wrappedKey(), sealed.masterVersion()));
        return new Sealed(sealed.nonce(), sealed.ciphertext(), wrapped.wrappedKey(), wrapped.masterVersion());
    }

    /** Wraps key material (a transit key version) by the current master key. */
    public Wrapped wrapKey(Domain domain, String id, int version, byte[] key) {
        try {
            int master = ring.currentVersion();
            return new Wrapped(wrap(ring.current(), key, keyAad(domain, id, version, master)), master);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** The key material of a wrapped key; the caller clears it when done. */
    public byte[] unwrapKey(Domain domain, String id, int version, Wrapped wrapped) throws TamperedException, UnknownMasterKeyException {
        return unwrap(domain, id, version, wrapped.wrappedKey(), wrapped.masterVersion());
    }

    /** The same key wrapped by the current master key. */
    public Wrapped rewrapKey(Domain domain, String id, int version, Wrapped wrapped) throws TamperedException, UnknownMasterKeyException {
        byte[] key = unwrap(domain, id, version, wrapped.wrappedKey(), wrapped.masterVersion());
        try {
            return wrapKey(domain, id, version, key);
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    private byte[] unwrap(Domain domain, String path, int version, byte[] wrapped, int masterVersion)
            throws TamperedException, UnknownMasterKeyException {
        SecretKey master = ring.version(masterVersion).orElseThrow(() -> new UnknownMasterKeyException(masterVersion));
        if (wrapped == null || wrapped.length != NONCE_BYTES + MasterKeyRing.KEY_BYTES + TAG_BITS / 8) {
            throw new TamperedException("the data key of " + path + " version " + version + " is damaged");
        }
        try {
            byte[] nonce = java.util.Arrays.copyOfRange(wrapped, 0, NONCE_BYTES);
            byte[] body = java.util.Arrays.copyOfRange(wrapped, NONCE_BYTES, wrapped.length);
            return gcm(Cipher.DECRYPT_MODE, master, nonce, keyAad(domain, path, version, masterVersion), body);
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

    static byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] aad, byte[] input) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(input);
    }

    static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    static byte[] valueAad(Domain domain, String id, int version) {
        return ("sekisho." + domain.label + ".value.v1\n" + id + "\n" + version).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] keyAad(Domain domain, String id, int version, int masterVersion) {
        return ("sekisho." + domain.label + ".key.v1\n" + id + "\n" + version + "\n" + masterVersion).getBytes(StandardCharsets.UTF_8);
    }
}
