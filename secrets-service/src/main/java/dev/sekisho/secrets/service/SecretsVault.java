package dev.sekisho.secrets.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.access.AccessRegistry;
import dev.sekisho.secrets.access.Capability;
import dev.sekisho.secrets.access.Resource;
import dev.sekisho.secrets.access.SecretPath;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.ValueHashes;
import dev.sekisho.secrets.repository.SecretEntity;
import dev.sekisho.secrets.repository.SecretStore;
import dev.sekisho.secrets.repository.SecretVersionEntity;
import dev.sekisho.common.tracing.Steps;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Versioned secrets, for REST and gRPC alike: every operation checks the access policy on the canonical path
 * first (a denial is audited and signalled, and says nothing about whether the secret exists). A change works in one
 * transaction with its audit record; a read, which changes nothing, is one query and its audit record is one INSERT
 * committed before the answer. Records name the path, version, actor and outcome and carry a keyed hash of the
 * value, never the value.
 */
@ApplicationScoped
public class SecretsVault {

    public record SecretValue(String path, int version, Map<String, String> data, Instant createdAt, String createdBy) {
    }

    public record Written(String path, int version, Instant createdAt, String createdBy) {
    }

    public record VersionInfo(int version, Instant createdAt, String createdBy, Instant deletedAt, Instant destroyedAt) {
    }

    public record Metadata(String path, int currentVersion, boolean casRequired, int maxVersions, String owner, String description,
            Long rotationPeriodSeconds, Instant expiresAt, Map<String, String> customMetadata, List<String> allowedCidrs,
            Instant createdAt, String createdBy, Instant updatedAt, Instant lastReadAt, long readCount, List<VersionInfo> versions) {
    }

    /** A metadata change: null fields stay as they are. */
    public record MetadataChange(Boolean casRequired, Integer maxVersions, String owner, String description, Long rotationPeriodSeconds,
            Instant expiresAt, Map<String, String> customMetadata, List<String> allowedCidrs) {
    }

    public record Listing(List<String> paths, String nextCursor) {
    }

    /** First path segments that are endpoints of their own, never secrets. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("reports", "audit-hash", "metadata", "undelete", "destroy");
    public static final int MAX_LIST = 500;
    static final int MAX_DATA_ENTRIES = 256;
    static final int MAX_DATA_KEY = 256;
    private static final Logger LOG = Logger.getLogger(SecretsVault.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final TypeReference<TreeMap<String, String>> DATA = new TypeReference<>() {
    };

    @Inject
    Steps steps;

    @Inject
    SecretStore store;

    @Inject
    Envelope envelope;

    @Inject
    ValueHashes hashes;

    @Inject
    AccessRegistry access;

    @Inject
    AccessGuard guard;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    @Inject
    UsageTracker usage;

    public Uni<Written> put(Accessor who, String rawPath, Map<String, String> data, Integer cas) {
        return guard(who, rawPath, Capability.WRITE, "secret.write").chain(path -> {
            byte[] plaintext = serialise(data);
            String hash = hashes.of("secret.value", plaintext);
            return Panache.withTransaction(() -> store.lockForWrite(path, settings.defaultMaxVersions(), who.name()).chain(secret -> {
                if (secret.casRequired && cas == null) {
                    throw ProblemException.badRequest("This secret requires check-and-set: send cas with its current version.");
                }
                if (cas != null && cas != secret.currentVersion) {
                    throw new ProblemException(ProblemType.CONFLICT, "The secret's current version is " + secret.currentVersion
                            + ", not " + cas + ": nothing was written.");
                }
                int version = secret.currentVersion + 1;
                Envelope.Sealed sealed = envelope.seal(path, version, plaintext);
                SecretVersionEntity row = new SecretVersionEntity();
                row.path = path;
                row.version = version;
                row.createdAt = Instant.now();
                row.createdBy = who.name();
                row.nonce = sealed.nonce();
                row.ciphertext = sealed.ciphertext();
                row.wrappedKey = sealed.wrappedKey();
                row.masterVersion = sealed.masterVersion();
                row.valueHmac = hash;
                secret.currentVersion = version;
                secret.updatedAt = row.createdAt;
                return store.add(row)
                        .chain(() -> store.trimBefore(path, version - secret.maxVersions + 1))
                        .chain(() -> events.audit("secret.write", who.who(), "secret", path, Outcome.OUTCOME_SUCCESS, "",
                                Map.of("version", String.valueOf(version), "value_hmac", hash, "cas", cas == null ? "" : String.valueOf(cas))))
                        .map(ignored -> new Written(path, version, row.createdAt, row.createdBy));
            }));
        });
    }

    /** What one read transaction found: the value, or a refusal to record after it (a rolled-back record is no record). */
    private record Read(SecretValue value, String refusal, int version) {
    }

    /** The latest version (0) or the one asked for. */
    public Uni<SecretValue> get(Accessor who, String rawPath, int version) {
        if (version < 0) {
            return Uni.createFrom().failure(ProblemException.badRequest("version must be 0 (the latest) or a version number"));
        }
        return guard(who, rawPath, Capability.READ, "secret.read").chain(path -> Panache.withSession(() -> store.forRead(path, version)
                .chain(found -> {
                    SecretEntity secret = found == null ? null : (SecretEntity) found[0];
                    if (secret == null || secret.currentVersion == 0) {
                        throw ProblemException.notFound("There is no secret at this path.");
                    }
                    if (!AllowLists.permits(secret.allowedCidrs, who.who().ip())) {
                        return Uni.createFrom().item(new Read(null, "address", 0));
                    }
                    int wanted = version == 0 ? secret.currentVersion : version;
                    SecretVersionEntity row = (SecretVersionEntity) found[1];
                    if (row == null) {
                        throw ProblemException.notFound("This secret has no version " + wanted + " (or it was removed as too old).");
                    }
                    if (row.destroyedAt != null) {
                        throw ProblemException.notFound("Version " + wanted + " of this secret was destroyed.");
                    }
                    if (row.deletedAt != null) {
                        throw ProblemException.notFound("Version " + wanted + " of this secret is deleted (it can be undeleted).");
                    }
                    byte[] plaintext = steps.now("envelope decrypt", () -> open(row));
                    if (plaintext == null) {
                        return Uni.createFrom().item(new Read(null, "tampered", wanted));
                    }
                    usage.secretRead(path, Instant.now());
                    // a read changes nothing, so it needs no transaction: its audit record is one INSERT that commits
                    // before the answer
                    return events.audit("secret.read", who.who(), "secret", path, Outcome.OUTCOME_SUCCESS, "",
                            Map.of("version", String.valueOf(wanted), "value_hmac", hashes.of("secret.value", plaintext)))
                            .map(ignored -> new Read(new SecretValue(path, wanted, deserialise(plaintext), row.createdAt, row.createdBy),
                                    null, wanted));
                })).chain(read -> {
                    if (read.value() != null) {
                        return Uni.createFrom().item(read.value());
                    }
                    return read.refusal().equals("address") ? refuseAddress(who, path) : tampered(who, path, read.version());
                }));
    }

    public Uni<Listing> list(Accessor who, String rawPrefix, String after, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            return Uni.createFrom().failure(ProblemException.badRequest("limit must be between 1 and " + MAX_LIST));
        }
        String prefix;
        String cursor;
        try {
            prefix = SecretPath.prefix(rawPrefix);
            cursor = after == null || after.isEmpty() ? "" : SecretPath.canonical(after);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(ProblemException.badRequest(e.getMessage()));
        }
        if (!access.current().mayListUnder(who.roles(), prefix)) {
            return deny(who, prefix.isEmpty() ? "*" : prefix, Capability.LIST, "secret.list");
        }
        return Panache.withTransaction(() -> store.paths(prefix, cursor, limit).chain(paths -> {
            List<String> visible = paths.stream().filter(p -> access.current().allows(who.roles(), p, Capability.LIST)).toList();
            String next = paths.size() == limit ? paths.get(paths.size() - 1) : null;
            return events.audit("secret.list", who.who(), "secret-prefix", prefix.isEmpty() ? "*" : prefix, Outcome.OUTCOME_SUCCESS, "",
                    Map.of("listed", String.valueOf(visible.size()))).map(ignored -> new Listing(visible, next));
        }));
    }

    /** Metadata is readable with list (or read): who owns a secret, when it rotates, never its value. */
    public Uni<Metadata> metadata(Accessor who, String rawPath) {
        return guardAny(who, rawPath, "secret.metadata.read", Capability.LIST, Capability.READ)
                .chain(path -> Panache.withTransaction(() -> store.find(path).chain(secret -> {
                    if (secret == null) {
                        throw ProblemException.notFound("There is no secret at this path.");
                    }
                    return store.versions(path).chain(versions -> events.audit("secret.metadata.read", who.who(), "secret", path,
                            Outcome.OUTCOME_SUCCESS, "", Map.of()).map(ignored -> metadataOf(secret, versions)));
                })));
    }

    public Uni<Metadata> changeMetadata(Accessor who, String rawPath, MetadataChange change) {
        return guard(who, rawPath, Capability.WRITE, "secret.metadata.write").chain(path -> {
            validate(change);
            return Panache.withTransaction(() -> store.lockForWrite(path, settings.defaultMaxVersions(), who.name()).chain(secret -> {
                Map<String, String> changed = new LinkedHashMap<>();
                if (change.casRequired() != null) {
                    secret.casRequired = change.casRequired();
                    changed.put("cas_required", String.valueOf(change.casRequired()));
                }
                if (change.maxVersions() != null) {
                    secret.maxVersions = change.maxVersions();
                    changed.put("max_versions", String.valueOf(change.maxVersions()));
                }
                if (change.owner() != null) {
                    secret.owner = change.owner();
                    changed.put("owner", change.owner());
                }
                if (change.description() != null) {
                    secret.description = change.description();
                    changed.put("description", "changed");
                }
                if (change.rotationPeriodSeconds() != null) {
                    secret.rotationPeriodSeconds = change.rotationPeriodSeconds() == 0 ? null : change.rotationPeriodSeconds();
                    changed.put("rotation_period_seconds", String.valueOf(change.rotationPeriodSeconds()));
                }
                if (change.expiresAt() != null) {
                    secret.expiresAt = change.expiresAt().equals(Instant.EPOCH) ? null : change.expiresAt();
                    changed.put("expires_at", change.expiresAt().toString());
                }
                if (change.allowedCidrs() != null) {
                    secret.allowedCidrs = List.copyOf(change.allowedCidrs());
                    changed.put("allowed_cidrs", String.join(",", change.allowedCidrs()));
                }
                if (change.customMetadata() != null) {
                    secret.customMetadata = new TreeMap<>(change.customMetadata());
                    changed.put("custom_metadata_keys", String.valueOf(change.customMetadata().size()));
                }
                secret.updatedAt = Instant.now();
                int current = secret.currentVersion;
                Uni<Integer> trimmed = change.maxVersions() != null && current > 0
                        ? store.trimBefore(path, current - secret.maxVersions + 1) : Uni.createFrom().item(0);
                return trimmed.chain(() -> events.audit("secret.metadata.write", who.who(), "secret", path, Outcome.OUTCOME_SUCCESS, "", changed))
                        .chain(() -> store.versions(path)).map(versions -> metadataOf(secret, versions));
            }));
        });
    }

    /** Soft delete (the latest version when none is named): the value stays sealed and can be undeleted. */
    public Uni<List<Integer>> delete(Accessor who, String rawPath, List<Integer> versions) {
        return changeVersions(who, rawPath, versions, Capability.DELETE, "secret.delete", row -> {
            if (row.destroyedAt == null && row.deletedAt == null) {
                row.deletedAt = Instant.now();
                return true;
            }
            return false;
        });
    }

    public Uni<List<Integer>> undelete(Accessor who, String rawPath, List<Integer> versions) {
        return changeVersions(who, rawPath, versions, Capability.DELETE, "secret.undelete", row -> {
            if (row.destroyedAt == null && row.deletedAt != null) {
                row.deletedAt = null;
                return true;
            }
            return false;
        });
    }

    /** Destroys versions for good: the sealed value and its wrapped data key are erased. */
    public Uni<List<Integer>> destroy(Accessor who, String rawPath, List<Integer> versions) {
        return changeVersions(who, rawPath, versions, Capability.ADMIN, "secret.destroy", row -> {
            if (row.destroyedAt == null) {
                row.destroyedAt = Instant.now();
                row.nonce = null;
                row.ciphertext = null;
                row.wrappedKey = null;
                row.masterVersion = null;
                row.valueHmac = null;
                return true;
            }
            return false;
        });
    }

    private Uni<List<Integer>> changeVersions(Accessor who, String rawPath, List<Integer> versions, Capability capability, String action,
            java.util.function.Predicate<SecretVersionEntity> change) {
        if (versions != null && (versions.size() > 100 || versions.stream().anyMatch(v -> v == null || v < 1))) {
            return Uni.createFrom().failure(ProblemException.badRequest("versions must be at most 100 version numbers, each 1 or more"));
        }
        return guard(who, rawPath, capability, action).chain(path -> Panache.withTransaction(() -> store.lockExisting(path).chain(secret -> {
            if (secret == null || secret.currentVersion == 0) {
                throw ProblemException.notFound("There is no secret at this path.");
            }
            List<Integer> wanted = versions == null || versions.isEmpty() ? List.of(secret.currentVersion) : List.copyOf(versions);
            return store.versions(path).chain(rows -> {
                List<Integer> changed = new ArrayList<>();
                for (SecretVersionEntity row : rows) {
                    if (wanted.contains(row.version) && change.test(row)) {
                        changed.add(row.version);
                    }
                }
                return events.audit(action, who.who(), "secret", path, Outcome.OUTCOME_SUCCESS, "",
                        Map.of("versions", changed.toString())).map(ignored -> List.copyOf(changed));
            });
        })));
    }

    public record HashMatch(String path, int version) {
    }

    public record HashAnswer(String valueHmac, List<HashMatch> versions) {
    }

    /**
     * An investigator's question, "was this value ever stored (and so possibly served)?": the keyed hash of the data
     * as audit records carry it, and the versions that held it. Asked questions are audited with the hash only.
     */
    public Uni<HashAnswer> auditHash(Accessor who, Map<String, String> data) {
        byte[] plaintext = serialise(data);
        String hash = hashes.of("secret.value", plaintext);
        return Panache.withTransaction(() -> store.withValueHash(hash, 100).chain(rows -> {
            List<HashMatch> matches = rows.stream().map(r -> new HashMatch(r.path, r.version)).toList();
            return events.audit("secret.audit_hash", who.who(), "secret-value", hash, Outcome.OUTCOME_SUCCESS, "",
                    Map.of("matches", String.valueOf(matches.size()))).map(ignored -> new HashAnswer(hash, matches));
        }));
    }

    /** The value of a stored version, or null when it does not open (tampered, moved or damaged). */
    private byte[] open(SecretVersionEntity row) {
        try {
            return envelope.open(row.path, row.version, new Envelope.Sealed(row.nonce, row.ciphertext, row.wrappedKey, row.masterVersion));
        } catch (Envelope.TamperedException e) {
            LOG.errorf("integrity failure: %s", e.getMessage());
            return null;
        } catch (Envelope.UnknownMasterKeyException e) {
            throw ProblemException.unavailable("This version's data key is wrapped by master key version " + row.masterVersion
                    + ", which is not configured.", 60);
        }
    }

    /** A version that failed its integrity check: recorded, signalled, never served. */
    private <T> Uni<T> tampered(Accessor who, String path, int version) {
        return events.audit("secret.read", who.who(), "secret", path, Outcome.OUTCOME_ERROR, "integrity check failed",
                Map.of("version", String.valueOf(version)))
                .chain(() -> events.signal("secret.tampered", Severity.SEVERITY_CRITICAL,
                        "A stored secret version failed its integrity check", Map.of("path", path)))
                .chain(() -> Uni.createFrom().failure(new ProblemException(ProblemType.INTEGRITY_FAILURE,
                        "The stored value of this version fails its integrity check and is not served.")));
    }

    /** The canonical path, once the caller may do this there; a refusal is audited, signalled and a 403. */
    private Uni<String> guard(Accessor who, String rawPath, Capability capability, String action) {
        return guardAny(who, rawPath, action, capability);
    }

    private Uni<String> guardAny(Accessor who, String rawPath, String action, Capability... capabilities) {
        String path;
        try {
            path = AccessGuard.canonical(rawPath);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        if (RESERVED.contains(path.split("/", 2)[0])) {
            return Uni.createFrom().failure(ProblemException.badRequest("This first path segment is reserved for an endpoint and names no secret."));
        }
        return guard.checkCanonical(who, Resource.SECRETS, path, action, capabilities);
    }

    /** A read from outside the secret's allow-list: audited, signalled, refused (the policies did allow the caller). */
    private <T> Uni<T> refuseAddress(Accessor who, String path) {
        return events.audit("secret.read", who.who(), "secret", path, Outcome.OUTCOME_DENIED, "address not in the secret's allow-list",
                Map.of("source_ip", who.who().ip()))
                .chain(() -> events.signal("secret.denied", Severity.SEVERITY_WARNING, "A secret was asked for from outside its allow-list",
                        Map.of("reason", "ip_not_allowed", "actor", who.name())))
                .chain(() -> Uni.createFrom().failure(new ProblemException(ProblemType.FORBIDDEN,
                        "This secret may not be read from your address.")));
    }

    private <T> Uni<T> deny(Accessor who, String path, Capability capability, String action) {
        return guard.deny(who, Resource.SECRETS, path, capability, action);
    }

    private byte[] serialise(Map<String, String> data) {
        if (data == null || data.isEmpty()) {
            throw ProblemException.badRequest("data must hold at least one key");
        }
        if (data.size() > MAX_DATA_ENTRIES) {
            throw ProblemException.badRequest("data holds more than " + MAX_DATA_ENTRIES + " keys");
        }
        for (Map.Entry<String, String> entry : data.entrySet()) {
            if (entry.getKey() == null || entry.getKey().isEmpty() || entry.getKey().length() > MAX_DATA_KEY) {
                throw ProblemException.badRequest("every data key must be 1 to " + MAX_DATA_KEY + " characters");
            }
            if (entry.getValue() == null) {
                throw ProblemException.badRequest("data values must be strings");
            }
        }
        try {
            byte[] bytes = JSON.writeValueAsBytes(new TreeMap<>(data));
            if (bytes.length > settings.maxValueBytes()) {
                throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE, "The value is larger than " + settings.maxValueBytes() + " bytes.");
            }
            return bytes;
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("data cannot be stored as JSON");
        }
    }

    private static Map<String, String> deserialise(byte[] plaintext) {
        try {
            return JSON.readValue(plaintext, DATA);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("an opened value is not the JSON it was sealed as", e);
        }
    }

    private void validate(MetadataChange change) {
        if (change.maxVersions() != null && (change.maxVersions() < 1 || change.maxVersions() > 1000)) {
            throw ProblemException.badRequest("maxVersions must be between 1 and 1000");
        }
        if (change.rotationPeriodSeconds() != null && (change.rotationPeriodSeconds() < 0 || change.rotationPeriodSeconds() > 3650L * 86400)) {
            throw ProblemException.badRequest("rotationPeriodSeconds must be between 0 (none) and ten years");
        }
        if (change.owner() != null && change.owner().length() > 256) {
            throw ProblemException.badRequest("owner is at most 256 characters");
        }
        if (change.description() != null && change.description().length() > 1024) {
            throw ProblemException.badRequest("description is at most 1024 characters");
        }
        AllowLists.validate(change.allowedCidrs());
        Map<String, String> custom = change.customMetadata();
        if (custom != null) {
            if (custom.size() > settings.maxCustomMetadata()) {
                throw ProblemException.badRequest("customMetadata holds at most " + settings.maxCustomMetadata() + " pairs");
            }
            int max = settings.maxCustomMetadataLength();
            if (custom.entrySet().stream().anyMatch(e -> e.getKey() == null || e.getKey().isEmpty() || e.getKey().length() > max
                    || e.getValue() == null || e.getValue().length() > max)) {
                throw ProblemException.badRequest("customMetadata keys are 1 to " + max + " characters, values at most " + max);
            }
        }
    }

    private static Metadata metadataOf(SecretEntity s, List<SecretVersionEntity> versions) {
        return new Metadata(s.path, s.currentVersion, s.casRequired, s.maxVersions, s.owner, s.description, s.rotationPeriodSeconds,
                s.expiresAt, s.customMetadata == null ? Map.of() : new TreeMap<>(s.customMetadata),
                s.allowedCidrs == null ? List.of() : List.copyOf(s.allowedCidrs), s.createdAt, s.createdBy, s.updatedAt, s.lastReadAt, s.readCount,
                versions.stream().map(v -> new VersionInfo(v.version, v.createdAt, v.createdBy, v.deletedAt, v.destroyedAt)).toList());
    }
}
