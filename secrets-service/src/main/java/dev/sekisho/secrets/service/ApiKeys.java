package dev.sekisho.secrets.service;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.ValueHashes;
import dev.sekisho.secrets.repository.ApiKeyEntity;
import dev.sekisho.secrets.repository.ApiKeyStore;
import dev.sekisho.secrets.repository.IntegrationEntity;
import dev.sekisho.secrets.repository.IntegrationStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * API keys for integrations: {@code sek_<id>_<secret>}, shown once at creation; stored are the public id and a keyed
 * hash of the whole key. A key carries scopes (the roles a request authenticated with it has, never more than its
 * creator holds), an expiry, an optional IP allow-list, and can be revoked or rotated with an overlap. Every change
 * and every verification of an existing key is audited before the answer.
 */
@ApplicationScoped
public class ApiKeys {

    public record Issued(String id, String key, String name, String owner, String integrationId, List<String> scopes,
            List<String> allowedCidrs, Instant createdAt, Instant expiresAt) {
    }

    public record KeyView(String id, String prefix, String name, String owner, String integrationId, List<String> scopes, List<String> allowedCidrs,
            Instant createdAt, String createdBy, Instant expiresAt, Instant revokedAt, String revokedBy, String revokeReason,
            String replacedBy, Instant lastUsedAt, long useCount, String state) {
    }

    public record NewKey(String name, String owner, String integrationId, List<String> scopes, Instant expiresAt, List<String> allowedCidrs) {
    }

    /**
     * A verification's answer: valid with who and what, or refused with one of unknown, revoked, expired, ip_not_allowed,
     * or {@code integration_<state>} (its integration is proposed, suspended or retired).
     */
    public record Verdict(boolean valid, String id, String owner, List<String> scopes, String reason) {

        static Verdict refused(String id, String reason) {
            return new Verdict(false, id, "", List.of(), reason);
        }
    }

    public static final int MAX_LIST = 500;
    static final String PREFIX = "sek_";
    private static final Pattern KEY = Pattern.compile("sek_([a-z2-7]{16})_([A-Za-z0-9_-]{43})");
    private static final Pattern SCOPE = Pattern.compile("[a-z0-9][a-z0-9:._-]{0,63}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

    @Inject
    ApiKeyStore store;

    @Inject
    ValueHashes hashes;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    @Inject
    UsageTracker usage;

    @Inject
    MeterRegistry metrics;

    @Inject
    IntegrationStore integrations;

    public Uni<Issued> create(Accessor who, NewKey request) {
        validate(who, request);
        return Panache.withTransaction(() -> usable(request.integrationId()).chain(integration -> issue(who, request.name(),
                request.owner(), integration.id, request.scopes(), request.expiresAt(),
                request.allowedCidrs() == null ? List.of() : request.allowedCidrs(), "apikey.created", Map.of())));
    }

    /** A new key with the old one's name, owner, scopes and limits; the old one stays valid for the overlap, then expires. */
    public Uni<Issued> rotate(Accessor who, String id, Duration overlap) {
        if (overlap.isNegative() || overlap.compareTo(settings.apiKeys().maxRotationOverlap()) > 0) {
            return Uni.createFrom().failure(ProblemException.badRequest("overlapSeconds must be between 0 and "
                    + settings.apiKeys().maxRotationOverlap().toSeconds()));
        }
        return Panache.withTransaction(() -> store.lock(checkedId(id)).chain(old -> {
            if (old == null) {
                throw ProblemException.notFound("There is no API key with this id.");
            }
            if (!state(old, Instant.now()).equals("active")) {
                throw new ProblemException(ProblemType.CONFLICT, "Only an active key can be rotated; this one is " + state(old, Instant.now()) + ".");
            }
            Instant end = Instant.now().plus(overlap);
            Uni<String> integration = old.integrationId == null ? Uni.createFrom().nullItem()
                    : usable(old.integrationId).map(i -> i.id);
            return integration.chain(integrationId -> {
                old.expiresAt = old.expiresAt == null || old.expiresAt.isAfter(end) ? end : old.expiresAt;
                return issue(who, old.name, old.owner, integrationId, old.scopes, null, old.allowedCidrs, "apikey.rotated",
                        Map.of("replaces", old.id, "overlap_seconds", String.valueOf(overlap.toSeconds())));
            }).invoke(issued -> old.replacedBy = issued.id());
        }));
    }

    public Uni<Boolean> revoke(Accessor who, String id, String reason) {
        String why = reason == null ? "" : reason.strip();
        if (why.length() > 500) {
            return Uni.createFrom().failure(ProblemException.badRequest("reason is at most 500 characters"));
        }
        return Panache.withTransaction(() -> store.lock(checkedId(id)).chain(key -> {
            if (key == null) {
                throw ProblemException.notFound("There is no API key with this id.");
            }
            if (key.revokedAt != null) {
                return Uni.createFrom().item(false);
            }
            key.revokedAt = Instant.now();
            key.revokedBy = who.name();
            key.revokeReason = why;
            return events.audit("apikey.revoked", who.who(), "api-key", key.id, Outcome.OUTCOME_SUCCESS, why, Map.of("owner", key.owner))
                    .chain(() -> events.signal("apikey.revoked", Severity.SEVERITY_INFO, "An API key was revoked",
                            Map.of("key_id", key.id, "owner", key.owner)))
                    .replaceWith(true);
        }));
    }

    public Uni<KeyView> get(String id) {
        return Panache.withSession(() -> store.find(checkedId(id))).map(key -> {
            if (key == null) {
                throw ProblemException.notFound("There is no API key with this id.");
            }
            return view(key);
        });
    }

    public Uni<List<KeyView>> list(String owner, String after, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            return Uni.createFrom().failure(ProblemException.badRequest("limit must be between 1 and " + MAX_LIST));
        }
        if (owner != null && owner.length() > 256) {
            return Uni.createFrom().failure(ProblemException.badRequest("owner is at most 256 characters"));
        }
        return Panache.withSession(() -> store.page(owner, after, limit)).map(keys -> keys.stream().map(ApiKeys::view).toList());
    }

    /**
     * Checks a key presented at the gateway. A malformed or unknown key is answered and counted but not audited here
     * (the gateway records its denials, aggregated: recording each would let anyone flood the audit log); every
     * verification of an existing key, accepted or refused, is audited before the answer.
     */
    public Uni<Verdict> verify(Accessor who, String presented, String sourceIp) {
        Matcher parsed = presented == null ? null : KEY.matcher(presented);
        if (parsed == null || !parsed.matches()) {
            count("malformed");
            return Uni.createFrom().item(Verdict.refused("", "unknown"));
        }
        String id = parsed.group(1);
        String ip = sourceIp == null ? "" : sourceIp.strip();
        return Panache.withTransaction(() -> store.find(id).chain(key -> (key == null || key.integrationId == null
                ? Uni.createFrom().<String>nullItem()
                : integrations.find(key.integrationId).map(integration -> integration == null ? "retired" : integration.state))
                .chain(integrationState -> {
            if (key == null) {
                count("unknown");
                return Uni.createFrom().item(Verdict.refused("", "unknown"));
            }
            Instant now = Instant.now();
            String reason;
            if (!ValueHashes.same(key.hash, hashes.of("apikey", presented.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
                reason = "unknown"; // a real id with a wrong secret: said as unknown, recorded as what it is
            } else if (key.revokedAt != null) {
                reason = "revoked";
            } else if (key.expiresAt != null && !now.isBefore(key.expiresAt)) {
                reason = "expired";
            } else if (!AllowLists.permits(key.allowedCidrs, ip)) {
                reason = "ip_not_allowed";
            } else if (integrationState != null && !issuable(integrationState)) {
                reason = "integration_" + integrationState; // suspended, retired (or never approved)
            } else {
                reason = null;
            }
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("source_ip", ip.length() > 64 ? ip.substring(0, 64) : ip);
            attributes.put("owner", key.owner);
            count(reason == null ? "valid" : reason);
            if (reason == null) {
                usage.keyUsed(key.id, now);
                return events.audit("apikey.verified", who.who(), "api-key", key.id, Outcome.OUTCOME_SUCCESS, "", attributes)
                        .replaceWith(new Verdict(true, key.id, key.owner, List.copyOf(key.scopes), ""));
            }
            String recorded = reason.equals("unknown") ? "wrong secret for this key id" : reason;
            String answered = reason;
            return events.audit("apikey.verified", who.who(), "api-key", key.id, Outcome.OUTCOME_DENIED, recorded, attributes)
                    .chain(() -> events.signal("apikey.refused", Severity.SEVERITY_WARNING, "An API key was refused: " + recorded,
                            Map.of("key_id", key.id, "reason", answered.equals("unknown") ? "wrong_secret" : answered)))
                    .replaceWith(Verdict.refused(key.id, answered));
        })));
    }

    /**
     * The integration a key is issued to, which must be approved or active (404 when there is none, 409 otherwise):
     * credentials only for approved connections.
     */
    private Uni<IntegrationEntity> usable(String integrationId) {
        return integrations.find(integrationId).map(integration -> {
            if (integration == null) {
                throw ProblemException.badRequest("integrationId names no integration of the registry");
            }
            if (!issuable(integration.state)) {
                throw new ProblemException(ProblemType.CONFLICT, "API keys are issued only to approved or active integrations; this one is "
                        + integration.state + ".");
            }
            return integration;
        });
    }

    private static boolean issuable(String integrationState) {
        return integrationState.equals("approved") || integrationState.equals("active");
    }

    private Uni<Issued> issue(Accessor who, String name, String owner, String integrationId, List<String> scopes, Instant expiresAt,
            List<String> cidrs, String action, Map<String, String> extra) {
        String id = randomId();
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant now = Instant.now();
        ApiKeyEntity row = new ApiKeyEntity();
        row.id = id;
        row.name = name;
        row.owner = owner;
        row.integrationId = integrationId;
        row.scopes = List.copyOf(scopes);
        row.allowedCidrs = List.copyOf(cidrs);
        row.hash = hashes.of("apikey", key.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        row.createdAt = now;
        row.createdBy = who.name();
        row.expiresAt = expiresAt != null ? expiresAt : now.plus(settings.apiKeys().defaultLifetime());
        Map<String, String> attributes = new LinkedHashMap<>(extra);
        attributes.put("owner", owner);
        if (integrationId != null) {
            attributes.put("integration", integrationId);
        }
        attributes.put("scopes", String.join(",", scopes));
        attributes.put("expires_at", row.expiresAt.toString());
        return store.add(row)
                .chain(() -> events.audit(action, who.who(), "api-key", id, Outcome.OUTCOME_SUCCESS, "", attributes))
                .replaceWith(new Issued(id, key, name, owner, integrationId, row.scopes, row.allowedCidrs, now, row.expiresAt));
    }

    private void validate(Accessor who, NewKey request) {
        if (request.name() == null || !NAME.matcher(request.name()).matches()) {
            throw ProblemException.badRequest("name must be 1 to 128 letters, digits, spaces, '.', '_' or '-'");
        }
        if (request.owner() == null || request.owner().isBlank() || request.owner().length() > 256) {
            throw ProblemException.badRequest("owner must be 1 to 256 characters");
        }
        if (request.integrationId() == null || !request.integrationId().matches("[a-z2-7]{16}")) {
            throw ProblemException.badRequest("integrationId must name an integration of the registry (GET /v1/integrations)");
        }
        List<String> scopes = request.scopes();
        if (scopes == null || scopes.isEmpty() || scopes.size() > 16 || scopes.stream().anyMatch(s -> s == null || !SCOPE.matcher(s).matches())) {
            throw ProblemException.badRequest("scopes must be 1 to 16 role names (lowercase letters, digits, ':', '.', '_', '-')");
        }
        if (!who.roles().contains(Permissions.ADMIN)) {
            List<String> beyond = scopes.stream().filter(s -> !who.roles().contains(s)).toList();
            if (!beyond.isEmpty()) {
                throw new ProblemException(ProblemType.FORBIDDEN, "A key can carry only roles its creator holds (or any, for an admin).");
            }
        }
        Instant now = Instant.now();
        if (request.expiresAt() != null && (!request.expiresAt().isAfter(now)
                || request.expiresAt().isAfter(now.plus(settings.apiKeys().maxLifetime())))) {
            throw ProblemException.badRequest("expiresAt must be in the future and within " + settings.apiKeys().maxLifetime().toDays() + " days");
        }
        AllowLists.validate(request.allowedCidrs());
    }

    private static String checkedId(String id) {
        if (id == null || !id.matches("[a-z2-7]{16}")) {
            throw ProblemException.notFound("There is no API key with this id.");
        }
        return id;
    }

    /** 80 random bits as 16 lower-case base32 characters: the public id of a key or an integration. */
    static String randomId() {
        byte[] bytes = new byte[10];
        RANDOM.nextBytes(bytes);
        StringBuilder id = new StringBuilder(16);
        long bits = 0;
        int count = 0;
        for (byte b : bytes) {
            bits = (bits << 8) | (b & 0xff);
            count += 8;
            while (count >= 5) {
                id.append(BASE32.charAt((int) ((bits >> (count - 5)) & 31)));
                count -= 5;
            }
        }
        return id.toString();
    }

    static String state(ApiKeyEntity key, Instant now) {
        if (key.revokedAt != null) {
            return "revoked";
        }
        if (key.expiresAt != null && !now.isBefore(key.expiresAt)) {
            return "expired";
        }
        return key.replacedBy != null ? "rotating" : "active";
    }

    private static KeyView view(ApiKeyEntity k) {
        return new KeyView(k.id, PREFIX + k.id + "_", k.name, k.owner, k.integrationId, List.copyOf(k.scopes), List.copyOf(k.allowedCidrs), k.createdAt,
                k.createdBy, k.expiresAt, k.revokedAt, k.revokedBy, k.revokeReason, k.replacedBy, k.lastUsedAt, k.useCount,
                state(k, Instant.now()));
    }

    private void count(String outcome) {
        metrics.counter("sekisho_secrets_apikey_verifications_total", "outcome", outcome.toLowerCase(Locale.ROOT)).increment();
    }
}
