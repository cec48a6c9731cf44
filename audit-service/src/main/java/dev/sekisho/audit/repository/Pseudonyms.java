package dev.sekisho.audit.repository;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;

import jakarta.inject.Inject;

import dev.sekisho.audit.config.AuditSettings;

/**
 * Keyed hashing (HMAC-SHA-256) of personal identifiers: with a key configured, the actor's IP and the
 * attributes named in {@code sekisho.audit.pseudonymized-attributes} are stored as {@code hmac:<digest>}, so a
 * record can still be found by the exact value (hash the query the same way) but the value is not kept in
 * clear. Without a key (the default), values are stored as sent.
 */
@ApplicationScoped
public class Pseudonyms {

    static final String PREFIX = "hmac:";

    private final Optional<SecretKeySpec> key;
    private final Set<String> attributes;

    @Inject
    public Pseudonyms(AuditSettings settings) {
        this(settings.pseudonymKey(), settings.pseudonymizedAttributes());
    }

    Pseudonyms(Optional<String> key, Set<String> attributes) {
        this.key = key.filter(k -> !k.isBlank()).map(k -> new SecretKeySpec(k.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        this.attributes = attributes.stream().map(a -> a.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    }

    public boolean enabled() {
        return key.isPresent();
    }

    public boolean appliesToAttribute(String name) {
        return key.isPresent() && attributes.contains(name.toLowerCase(Locale.ROOT));
    }

    /** The stored form of a personal identifier (unchanged when no key is configured, or when empty). */
    public String of(String value) {
        if (key.isEmpty() || value == null || value.isEmpty() || value.startsWith(PREFIX)) {
            return value;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key.get());
            byte[] digest = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
