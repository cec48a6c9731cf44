package dev.sekisho.secrets.access;

import java.util.Locale;

/** What a rule lets its roles do under its paths. */
public enum Capability {
    /** Read a secret's value. */
    READ,
    /** Write new versions and change metadata. */
    WRITE,
    /** List paths and read metadata (never a value). */
    LIST,
    /** Soft-delete and undelete versions. */
    DELETE,
    /** Destroy versions for good, and test values against the audit hashes. */
    ADMIN;

    public static Capability parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown capability '" + text + "' (read, write, list, delete, admin)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
