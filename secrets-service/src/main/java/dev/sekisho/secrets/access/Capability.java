package dev.sekisho.secrets.access;

import java.util.Locale;

/** What a rule lets its roles do under its paths; which ones apply depends on the rule's {@link Resource}. */
public enum Capability {
    /** Secrets: read a value. */
    READ,
    /** Secrets: write new versions and change metadata. */
    WRITE,
    /** Secrets: list paths and read metadata (never a value). Transit: list keys and read their metadata. */
    LIST,
    /** Secrets: soft-delete and undelete versions. */
    DELETE,
    /**
     * Secrets: destroy versions for good, test values against the audit hashes. Transit: create, rotate, configure and
     * trim keys. Tokens: revoke tokens.
     */
    ADMIN,
    /** Transit: encrypt with a key. */
    ENCRYPT,
    /** Transit: decrypt with a key. */
    DECRYPT,
    /** Transit: re-encrypt a ciphertext under the key's latest version (the plaintext never leaves the service). */
    REWRAP,
    /** Transit: generate data keys encrypted by a key. */
    DATAKEY,
    /** Transit: compute and verify HMACs with a key. */
    HMAC,
    /** Tokens: turn values into tokens. */
    TOKENIZE,
    /** Tokens: turn tokens back into values (audited per call). */
    DETOKENIZE;

    public static Capability parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown capability '" + text + "'");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
