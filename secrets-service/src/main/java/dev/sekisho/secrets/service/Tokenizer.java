package dev.sekisho.secrets.service;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.access.Capability;
import dev.sekisho.secrets.access.Resource;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.ValueHashes;
import dev.sekisho.secrets.repository.TokenEntity;
import dev.sekisho.secrets.repository.TokenStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Tokenization of personal data: a value becomes a random token ({@code tok_} and 22 base64url characters: 128 random
 * bits, nothing derived from the value), the same token for the same value within a namespace while it lives (found by
 * a keyed hash of the value), with the value sealed as secret versions are. Tokens expire and can be revoked (the
 * sealed value is erased); a value tokenized again after that gets a new token. Detokenize is its own capability and
 * audited per call with the tokens it revealed; tokenize is audited per call with counts. Values never appear in
 * audit records, logs or errors.
 */
@ApplicationScoped
public class Tokenizer {

    public record Token(String token, Instant expiresAt, boolean created) {
    }

    /** What a token stands for: its value, or why not (unknown, revoked, expired). */
    public record Detokenized(String token, String value, String status) {
    }

    public static final Pattern TOKEN = Pattern.compile("tok_[A-Za-z0-9_-]{22}");
    private static final Logger LOG = Logger.getLogger(Tokenizer.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    TokenStore store;

    @Inject
    Envelope envelope;

    @Inject
    ValueHashes hashes;

    @Inject
    AccessGuard guard;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    public Uni<List<Token>> tokenize(Accessor who, String rawNamespace, List<String> values, Long ttlSeconds) {
        Optional<Duration> ttl;
        try {
            checkBatch(values == null ? 0 : values.size());
            for (String value : values) {
                if (value == null || value.isEmpty()) {
                    throw ProblemException.badRequest("every value must be a non-empty string");
                }
                if (value.getBytes(StandardCharsets.UTF_8).length > settings.tokens().maxValueBytes()) {
                    throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE,
                            "A value is larger than " + settings.tokens().maxValueBytes() + " bytes: nothing was tokenized.");
                }
            }
            ttl = lifetime(ttlSeconds);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        return guard.check(who, Resource.TOKENS, rawNamespace, "token.tokenize", Capability.TOKENIZE)
                .chain(namespace -> Panache.withTransaction(() -> {
                    Instant now = Instant.now();
                    List<Token> out = new ArrayList<>();
                    Map<String, Token> seen = new HashMap<>();
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (String value : values) {
                        chain = chain.chain(() -> {
                            Token again = seen.get(value);
                            return (again != null ? Uni.createFrom().item(again) : one(who, namespace, value, ttl, now))
                                    .invoke(token -> {
                                        seen.put(value, token);
                                        out.add(token);
                                    }).replaceWithVoid();
                        });
                    }
                    return chain.chain(() -> events.audit("token.tokenize", who.who(), "token-namespace", namespace, Outcome.OUTCOME_SUCCESS,
                            "", Map.of("values", String.valueOf(values.size()),
                                    "created", String.valueOf(out.stream().filter(Token::created).distinct().count()))))
                            .replaceWith(out);
                }));
    }

    /** The live token of a value, or a new one (an expired one is retired first). */
    private Uni<Token> one(Accessor who, String namespace, String value, Optional<Duration> ttl, Instant now) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        String hmac = hashes.of("token.value\u0000" + namespace, bytes);
        return store.live(namespace, hmac).chain(existing -> {
            if (existing != null && (existing.expiresAt == null || existing.expiresAt.isAfter(now))) {
                return Uni.createFrom().item(new Token(existing.token, existing.expiresAt, false));
            }
            Uni<Integer> retired = existing == null ? Uni.createFrom().item(0)
                    : store.revoke(namespace, List.of(existing.token), "expired", now);
            TokenEntity row = seal(who, namespace, bytes, hmac, ttl, now);
            return retired.chain(() -> store.insert(row)).chain(inserted -> inserted
                    ? Uni.createFrom().item(new Token(row.token, row.expiresAt, true))
                    : store.live(namespace, hmac).map(winner -> new Token(winner.token, winner.expiresAt, false)));
        });
    }

    public Uni<List<Detokenized>> detokenize(Accessor who, String rawNamespace, List<String> tokens) {
        try {
            checkTokens(tokens);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        return guard.check(who, Resource.TOKENS, rawNamespace, "token.detokenize", Capability.DETOKENIZE)
                .chain(namespace -> Panache.withTransaction(() -> store.find(namespace, new LinkedHashSet<>(tokens)).chain(rows -> {
                    Map<String, TokenEntity> byToken = new HashMap<>();
                    rows.forEach(row -> byToken.put(row.token, row));
                    Instant now = Instant.now();
                    List<Detokenized> out = new ArrayList<>();
                    Map<String, Integer> statuses = new java.util.TreeMap<>();
                    List<String> revealed = new ArrayList<>();
                    boolean tampered = false;
                    for (String token : tokens) {
                        TokenEntity row = byToken.get(token);
                        Detokenized d;
                        if (row == null) {
                            d = new Detokenized(token, null, "unknown");
                        } else if (row.revokedAt != null) {
                            d = new Detokenized(token, null, "revoked");
                        } else if (row.expiresAt != null && !row.expiresAt.isAfter(now)) {
                            d = new Detokenized(token, null, "expired");
                        } else {
                            String value = open(row);
                            if (value == null) {
                                tampered = true;
                                d = new Detokenized(token, null, "damaged");
                            } else {
                                d = new Detokenized(token, value, "ok");
                                revealed.add(token);
                            }
                        }
                        statuses.merge(d.status(), 1, Integer::sum);
                        out.add(d);
                    }
                    Uni<Void> signal = tampered ? events.signal("secret.tampered", Severity.SEVERITY_CRITICAL,
                            "A stored token value failed its integrity check", Map.of("namespace", namespace)) : Uni.createFrom().voidItem();
                    return signal.chain(() -> events.audit("token.detokenize", who.who(), "token-namespace", namespace,
                            Outcome.OUTCOME_SUCCESS, "", Map.of("revealed", String.join(",", revealed), "statuses", statuses.toString())))
                            .replaceWith(out);
                })));
    }

    public Uni<Integer> revoke(Accessor who, String rawNamespace, List<String> tokens) {
        try {
            checkTokens(tokens);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        return guard.check(who, Resource.TOKENS, rawNamespace, "token.revoke", Capability.ADMIN)
                .chain(namespace -> Panache.withTransaction(() -> store.revoke(namespace, new LinkedHashSet<>(tokens), who.name(), Instant.now())
                        .call(revoked -> events.audit("token.revoke", who.who(), "token-namespace", namespace, Outcome.OUTCOME_SUCCESS, "",
                                Map.of("asked", String.valueOf(tokens.size()), "revoked", String.valueOf(revoked),
                                        "tokens", String.join(",", new LinkedHashSet<>(tokens)))))));
    }

    private TokenEntity seal(Accessor who, String namespace, byte[] value, String hmac, Optional<Duration> ttl, Instant now) {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        TokenEntity row = new TokenEntity();
        row.token = "tok_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        row.namespace = namespace;
        row.valueHmac = hmac;
        Envelope.Sealed sealed = envelope.seal(Envelope.Domain.TOKEN, namespace + "/" + row.token, 1, value);
        row.nonce = sealed.nonce();
        row.ciphertext = sealed.ciphertext();
        row.wrappedKey = sealed.wrappedKey();
        row.masterVersion = sealed.masterVersion();
        row.createdAt = now;
        row.createdBy = who.name();
        row.expiresAt = ttl.map(now::plus).orElse(null);
        return row;
    }

    private String open(TokenEntity row) {
        try {
            return new String(envelope.open(Envelope.Domain.TOKEN, row.namespace + "/" + row.token, 1,
                    new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion)), StandardCharsets.UTF_8);
        } catch (Envelope.TamperedException e) {
            LOG.errorf("integrity failure: a token of namespace %s does not open", row.namespace);
            return null;
        } catch (Envelope.UnknownMasterKeyException e) {
            throw ProblemException.unavailable("A token's data key is wrapped by master key version " + row.masterVersion
                    + ", which is not configured.", 60);
        }
    }

    private Optional<Duration> lifetime(Long ttlSeconds) {
        if (ttlSeconds == null) {
            return settings.tokens().defaultTtl();
        }
        if (ttlSeconds < 1 || ttlSeconds > settings.tokens().maxTtl().toSeconds()) {
            throw ProblemException.badRequest("ttlSeconds must be between 1 and " + settings.tokens().maxTtl().toSeconds());
        }
        return Optional.of(Duration.ofSeconds(ttlSeconds));
    }

    private void checkBatch(int size) {
        if (size < 1) {
            throw ProblemException.badRequest("the request holds no item");
        }
        if (size > settings.tokens().maxBatch()) {
            throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE, "A request holds at most " + settings.tokens().maxBatch()
                    + " items: nothing was done.");
        }
    }

    private void checkTokens(List<String> tokens) {
        checkBatch(tokens == null ? 0 : tokens.size());
        if (tokens.stream().anyMatch(t -> t == null || !TOKEN.matcher(t).matches())) {
            throw ProblemException.badRequest("every token is tok_ and 22 base64url characters");
        }
    }
}
