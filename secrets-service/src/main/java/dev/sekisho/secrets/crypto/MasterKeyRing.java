package dev.sekisho.secrets.crypto;

import java.util.Base64;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The master keys, by version, as configured ({@code 1:base64,2:base64}); the current one wraps new data keys, every
 * one in the ring unwraps what it wrapped. Parsing never quotes a key back: errors name the version only.
 */
public final class MasterKeyRing {

    public static final int KEY_BYTES = 32;

    private final NavigableMap<Integer, SecretKey> keys;
    private final int current;

    private MasterKeyRing(NavigableMap<Integer, SecretKey> keys, int current) {
        this.keys = Collections.unmodifiableNavigableMap(keys);
        this.current = current;
    }

    /** Reads the ring; {@code current} empty means the highest version. */
    public static MasterKeyRing parse(String text, Optional<Integer> current) {
        NavigableMap<Integer, SecretKey> keys = new TreeMap<>();
        int position = 0;
        for (String entry : text.split(",")) {
            position++;
            String trimmed = entry.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int colon = trimmed.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("master key entry " + position + " is not version:base64");
            }
            int version;
            try {
                version = Integer.parseInt(trimmed.substring(0, colon).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("master key entry " + position + " has no numeric version");
            }
            if (version < 1) {
                throw new IllegalArgumentException("master key versions start at 1 (entry " + position + ")");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(trimmed.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("master key version " + version + " is not base64");
            }
            if (key.length != KEY_BYTES) {
                throw new IllegalArgumentException("master key version " + version + " has " + key.length + " bytes, not " + KEY_BYTES);
            }
            if (keys.put(version, new SecretKeySpec(key, "AES")) != null) {
                throw new IllegalArgumentException("master key version " + version + " is given twice");
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the master key ring is empty");
        }
        int chosen = current.orElse(keys.lastKey());
        if (!keys.containsKey(chosen)) {
            throw new IllegalArgumentException("the current master key version " + chosen + " is not in the ring");
        }
        return new MasterKeyRing(keys, chosen);
    }

    public int currentVersion() {
        return current;
    }

    public SecretKey current() {
        return keys.get(current);
    }

    /** The key of a version, or empty when it left the ring. */
    public Optional<SecretKey> version(int version) {
        return Optional.ofNullable(keys.get(version));
    }

    public java.util.Set<Integer> versions() {
        return keys.keySet();
    }
}
