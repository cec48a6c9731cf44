package dev.sekisho.secrets.service;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.access.AccessRegistry;
import dev.sekisho.secrets.access.Capability;
import dev.sekisho.secrets.access.Resource;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.MasterKeyRing;
import dev.sekisho.secrets.crypto.TransitCipher;
import dev.sekisho.secrets.repository.TransitKeyEntity;
import dev.sekisho.secrets.repository.TransitKeyVersionEntity;
import dev.sekisho.secrets.repository.TransitStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Transit keys: create, rotate (by hand and on their {@code auto_rotate_period}), configure the versions allowed to
 * decrypt and encrypt, and trim the versions below a minimum so that they are gone. Every change is audited in its
 * transaction. The operations ({@link Transit}) read keys from a bounded in-memory cache of unwrapped versions,
 * refreshed in the background once an entry is older than {@code sekisho.secrets.transit.key-cache-ttl}; the instance
 * that changes a key forgets it at once, other instances within that interval.
 */
@ApplicationScoped
public class TransitKeys {

    public static final String TYPE = "aes256-gcm96";
    static final long MIN_AUTO_ROTATE_SECONDS = 3600;
    static final long MAX_AUTO_ROTATE_SECONDS = 3650L * 86400;
    private static final Logger LOG = Logger.getLogger(TransitKeys.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    public record VersionInfo(int version, Instant createdAt) {
    }

    public record KeyInfo(String name, String type, boolean derived, int latestVersion, int minDecryptionVersion,
            int minEncryptionVersion, int minAvailableVersion, Long autoRotatePeriodSeconds, Instant createdAt, String createdBy,
            Instant updatedAt, Instant rotatedAt, List<VersionInfo> versions) {
    }

    /** A configuration change: null fields stay as they are; an auto-rotate period of 0 turns auto-rotation off. */
    public record Change(Integer minDecryptionVersion, Integer minEncryptionVersion, Long autoRotatePeriodSeconds) {
    }

    /** A key as the operations use it: the versions that may still decrypt, unwrapped, and the bounds. */
    public record Loaded(String name, boolean derived, int latest, int minDecryption, int minEncryption, Map<Integer, TransitCipher> ciphers,
            Set<Integer> damaged) {

        /** The version that encrypts: the latest, or the one asked for when the configuration allows it. */
        TransitCipher forEncryption(int asked) {
            int version = asked == 0 ? latest : asked;
            if (version > latest) {
                throw ProblemException.badRequest("The key has no version " + version + " (its latest is " + latest + ").");
            }
            int floor = Math.max(minEncryption, minDecryption);
            if (version < floor) {
                throw ProblemException.badRequest("Version " + version + " is below the key's minimum encryption version " + floor + ".");
            }
            return cipher(version);
        }

        /** The version that decrypts a ciphertext it made, if the configuration still allows it. */
        TransitCipher forDecryption(int version) {
            if (version > latest) {
                throw ProblemException.badRequest("The ciphertext names key version " + version + ", which this key does not have.");
            }
            if (version < minDecryption) {
                throw ProblemException.badRequest("The ciphertext's key version " + version + " is below the key's minimum decryption version "
                        + minDecryption + ".");
            }
            return cipher(version);
        }

        private TransitCipher cipher(int version) {
            TransitCipher cipher = ciphers.get(version);
            if (cipher == null) {
                if (damaged.contains(version)) {
                    throw new ProblemException(ProblemType.INTEGRITY_FAILURE, "Version " + version + " of this key fails its integrity check.");
                }
                throw ProblemException.badRequest("Key version " + version + " was trimmed: ciphertexts it made can no longer be decrypted.");
            }
            return cipher;
        }
    }

    private static final class Entry {
        final Loaded key;
        final long loadedAt;
        final AtomicBoolean refreshing = new AtomicBoolean();

        Entry(Loaded key, long loadedAt) {
            this.key = key;
            this.loadedAt = loadedAt;
        }
    }

    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    @Inject
    TransitStore store;

    @Inject
    Pool pool;

    @Inject
    Envelope envelope;

    @Inject
    AccessGuard guard;

    @Inject
    AccessRegistry access;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    public Uni<KeyInfo> create(Accessor who, String rawName, boolean derived, Long autoRotatePeriodSeconds) {
        return guard.check(who, Resource.TRANSIT, rawName, "transit.key.create", Capability.ADMIN).chain(name -> {
            validatePeriod(autoRotatePeriodSeconds);
            Instant now = Instant.now();
            TransitKeyEntity key = new TransitKeyEntity();
            key.name = name;
            key.keyType = TYPE;
            key.derived = derived;
            key.autoRotatePeriodSeconds = autoRotatePeriodSeconds == null || autoRotatePeriodSeconds == 0 ? null : autoRotatePeriodSeconds;
            key.createdAt = now;
            key.createdBy = who.name();
            TransitKeyVersionEntity first = newVersion(name, 1, now);
            return Panache.withTransaction(() -> store.create(key, first).chain(created -> {
                if (!created) {
                    throw new ProblemException(ProblemType.CONFLICT, "A transit key of this name exists: nothing was created.");
                }
                return events.audit("transit.key.create", who.who(), "transit-key", name, Outcome.OUTCOME_SUCCESS, "",
                        Map.of("type", TYPE, "derived", String.valueOf(derived), "auto_rotate_period_seconds",
                                String.valueOf(key.autoRotatePeriodSeconds == null ? 0 : key.autoRotatePeriodSeconds)))
                        .chain(() -> describe(name));
            }));
        });
    }

    public Uni<KeyInfo> read(Accessor who, String rawName) {
        return guard.check(who, Resource.TRANSIT, rawName, "transit.key.read", Capability.LIST, Capability.ADMIN)
                .chain(name -> Panache.withTransaction(() -> describe(name).call(() -> events.audit("transit.key.read", who.who(),
                        "transit-key", name, Outcome.OUTCOME_SUCCESS, "", Map.of()))));
    }

    /** The key names the caller may list (list or admin), in order, after a cursor. */
    public Uni<SecretsVault.Listing> list(Accessor who, String after, int limit) {
        if (limit < 1 || limit > SecretsVault.MAX_LIST) {
            return Uni.createFrom().failure(ProblemException.badRequest("limit must be between 1 and " + SecretsVault.MAX_LIST));
        }
        String cursor;
        try {
            cursor = after == null || after.isEmpty() ? "" : AccessGuard.canonical(after);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        return Panache.withTransaction(() -> store.names(cursor, limit).chain(names -> {
            List<String> visible = names.stream().filter(n -> access.current().allows(Resource.TRANSIT, who.roles(), n, Capability.LIST)
                    || access.current().allows(Resource.TRANSIT, who.roles(), n, Capability.ADMIN)).toList();
            String next = names.size() == limit ? names.get(names.size() - 1) : null;
            return events.audit("transit.key.list", who.who(), "transit-key", "*", Outcome.OUTCOME_SUCCESS, "",
                    Map.of("listed", String.valueOf(visible.size()))).map(ignored -> new SecretsVault.Listing(visible, next));
        }));
    }

    public Uni<KeyInfo> rotate(Accessor who, String rawName) {
        return guard.check(who, Resource.TRANSIT, rawName, "transit.key.rotate", Capability.ADMIN)
                .chain(name -> rotateNow(who.who(), name, "manual"));
    }

    public Uni<KeyInfo> configure(Accessor who, String rawName, Change change) {
        return guard.check(who, Resource.TRANSIT, rawName, "transit.key.config", Capability.ADMIN).chain(name -> {
            validatePeriod(change.autoRotatePeriodSeconds());
            return Panache.withTransaction(() -> locked(name).chain(key -> {
                int minDecryption = change.minDecryptionVersion() == null ? key.minDecryptionVersion : change.minDecryptionVersion();
                int minEncryption = change.minEncryptionVersion() == null ? key.minEncryptionVersion : change.minEncryptionVersion();
                if (minDecryption < key.minAvailableVersion || minDecryption > key.latestVersion) {
                    throw ProblemException.badRequest("minDecryptionVersion must be between " + key.minAvailableVersion
                            + " (the oldest version kept) and " + key.latestVersion + " (the latest).");
                }
                if (minEncryption != 0 && (minEncryption < minDecryption || minEncryption > key.latestVersion)) {
                    throw ProblemException.badRequest("minEncryptionVersion must be 0 (the latest) or between minDecryptionVersion ("
                            + minDecryption + ") and " + key.latestVersion + ".");
                }
                Map<String, String> changed = new LinkedHashMap<>();
                if (minDecryption != key.minDecryptionVersion) {
                    changed.put("min_decryption_version", String.valueOf(minDecryption));
                }
                if (minEncryption != key.minEncryptionVersion) {
                    changed.put("min_encryption_version", String.valueOf(minEncryption));
                }
                if (change.autoRotatePeriodSeconds() != null) {
                    key.autoRotatePeriodSeconds = change.autoRotatePeriodSeconds() == 0 ? null : change.autoRotatePeriodSeconds();
                    changed.put("auto_rotate_period_seconds", String.valueOf(change.autoRotatePeriodSeconds()));
                }
                key.minDecryptionVersion = minDecryption;
                key.minEncryptionVersion = minEncryption;
                key.updatedAt = Instant.now();
                return events.audit("transit.key.config", who.who(), "transit-key", name, Outcome.OUTCOME_SUCCESS, "", changed)
                        .chain(() -> describe(name));
            })).invoke(() -> cache.remove(name));
        });
    }

    /**
     * Deletes the versions below {@code minAvailableVersion}, which may not be above the minimum decryption (or
     * encryption) version: their material is gone from the database and this instance's memory, and every ciphertext
     * they made can no longer be decrypted by anyone.
     */
    public Uni<KeyInfo> trim(Accessor who, String rawName, int minAvailableVersion) {
        return guard.check(who, Resource.TRANSIT, rawName, "transit.key.trim", Capability.ADMIN)
                .chain(name -> Panache.withTransaction(() -> locked(name).chain(key -> {
                    int ceiling = key.minEncryptionVersion == 0 ? key.minDecryptionVersion
                            : Math.min(key.minDecryptionVersion, key.minEncryptionVersion);
                    if (minAvailableVersion < key.minAvailableVersion || minAvailableVersion > ceiling) {
                        throw ProblemException.badRequest("minAvailableVersion must be between " + key.minAvailableVersion
                                + " (the oldest version kept) and " + ceiling + " (the minimum decryption and encryption version).");
                    }
                    key.minAvailableVersion = minAvailableVersion;
                    key.updatedAt = Instant.now();
                    return store.trimBelow(name, minAvailableVersion).chain(deleted -> events.audit("transit.key.trim", who.who(),
                            "transit-key", name, Outcome.OUTCOME_SUCCESS, "", Map.of("min_available_version",
                                    String.valueOf(minAvailableVersion), "versions_deleted", String.valueOf(deleted))))
                            .chain(() -> describe(name));
                })).invoke(() -> cache.remove(name)));
    }

    /** Rotates the keys whose auto-rotation period has passed (as secrets-service itself, audited). */
    @Scheduled(every = "${sekisho.secrets.transit.auto-rotate-check}", delayed = "${sekisho.secrets.transit.auto-rotate-check}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> autoRotate() {
        Who system = Who.client("secrets-service", "", "");
        return Panache.withSession(() -> store.dueForRotation(100)).chain(names -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (String name : names) {
                chain = chain.chain(() -> rotateIfDue(system, name).replaceWithVoid());
            }
            return chain;
        }).onFailure().invoke(e -> LOG.warnf("auto-rotation did not finish, the next check continues: %s", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** The key for an operation: from the cache (refreshed behind when old), or loaded; 404 when there is none. */
    public Uni<Loaded> forUse(String name) {
        Entry entry = cache.get(name);
        long now = System.nanoTime();
        if (entry != null) {
            if (now - entry.loadedAt > settings.transit().keyCacheTtl().toNanos() && entry.refreshing.compareAndSet(false, true)) {
                load(name).subscribe().with(fresh -> remember(name, fresh), failure -> entry.refreshing.set(false));
            }
            return Uni.createFrom().item(entry.key);
        }
        return load(name).invoke(fresh -> remember(name, fresh)).map(fresh -> {
            if (fresh == null) {
                throw ProblemException.notFound("There is no transit key of this name.");
            }
            return fresh;
        });
    }

    /**
     * The key for decrypting ciphertexts of {@code version}: the cached one, unless it predates that version (another
     * instance rotated the key within the cache's interval), then read again at once. A ciphertext made on one instance
     * opens on every other the moment it exists.
     */
    public Uni<Loaded> forVersion(Loaded cached, int version) {
        if (version <= cached.latest()) {
            return Uni.createFrom().item(cached);
        }
        return load(cached.name()).invoke(fresh -> remember(cached.name(), fresh))
                .map(fresh -> fresh == null ? cached : fresh);
    }

    /** Forgets every cached key (master keys or tests changed under it). */
    public void forgetAll() {
        cache.clear();
    }

    private void remember(String name, Loaded fresh) {
        if (fresh == null) {
            cache.remove(name);
            return;
        }
        if (cache.size() >= settings.transit().maxCachedKeys() && !cache.containsKey(name)) {
            cache.clear();
        }
        cache.put(name, new Entry(fresh, System.nanoTime()));
    }

    /**
     * The key and its versions that may decrypt, through the pool (no Hibernate session: a background refresh must not
     * share the session of the request that started it); null when there is no such key.
     */
    private Uni<Loaded> load(String name) {
        return pool.preparedQuery("select derived, latest_version, min_decryption_version, min_encryption_version from transit_key "
                + "where name = $1").execute(Tuple.of(name)).chain(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().nullItem();
                    }
                    Row key = rows.iterator().next();
                    int minDecryption = key.getInteger("min_decryption_version");
                    return pool.preparedQuery("select version, wrapped_key, master_version from transit_key_version where name = $1 "
                            + "and version >= $2").execute(Tuple.of(name, minDecryption))
                            .map(versions -> unwrap(name, key.getBoolean("derived"), key.getInteger("latest_version"), minDecryption,
                                    key.getInteger("min_encryption_version"), versions));
                });
    }

    private Loaded unwrap(String name, boolean derived, int latest, int minDecryption, int minEncryption, RowSet<Row> versions) {
        Map<Integer, TransitCipher> ciphers = new TreeMap<>();
        Set<Integer> damaged = new java.util.HashSet<>();
        for (Row v : versions) {
            int version = v.getInteger("version");
            int master = v.getInteger("master_version");
            try {
                byte[] material = envelope.unwrapKey(Envelope.Domain.TRANSIT, name, version,
                        new Envelope.Wrapped(v.getBuffer("wrapped_key").getBytes(), master));
                try {
                    ciphers.put(version, new TransitCipher(name, version, material));
                } finally {
                    Arrays.fill(material, (byte) 0);
                }
            } catch (Envelope.TamperedException e) {
                LOG.errorf("integrity failure: transit key %s version %d does not unwrap", name, version);
                damaged.add(version);
            } catch (Envelope.UnknownMasterKeyException e) {
                LOG.errorf("transit key %s version %d is wrapped by master key version %d, which is not configured", name, version, master);
                damaged.add(version);
            }
        }
        return new Loaded(name, derived, latest, minDecryption, minEncryption, Map.copyOf(ciphers), Set.copyOf(damaged));
    }

    /**
     * Rotates the key if its period has run out, judged under the key's row lock: every instance checks on the same
     * schedule, and the one that comes second finds the rotation made and makes no second one. True when it rotated.
     */
    public Uni<Boolean> rotateIfDue(Who who, String name) {
        return rotate(who, name, "auto", key -> key.autoRotatePeriodSeconds != null
                && !key.rotatedAt.plusSeconds(key.autoRotatePeriodSeconds).isAfter(Instant.now())).map(java.util.Objects::nonNull);
    }

    private Uni<KeyInfo> rotateNow(Who who, String name, String trigger) {
        return rotate(who, name, trigger, key -> true);
    }

    /** A new version, when {@code when} holds for the key as locked; null (nothing done) when it does not. */
    private Uni<KeyInfo> rotate(Who who, String name, String trigger, java.util.function.Predicate<TransitKeyEntity> when) {
        return Panache.withTransaction(() -> locked(name).chain(key -> {
            if (!when.test(key)) {
                return Uni.createFrom().<KeyInfo>nullItem();
            }
            Instant now = Instant.now();
            int version = key.latestVersion + 1;
            key.latestVersion = version;
            key.rotatedAt = now;
            key.updatedAt = now;
            return store.addVersion(newVersion(name, version, now))
                    .chain(() -> events.audit("transit.key.rotate", who, "transit-key", name, Outcome.OUTCOME_SUCCESS, "",
                            Map.of("version", String.valueOf(version), "trigger", trigger)))
                    .chain(() -> describe(name));
        })).invoke(() -> cache.remove(name));
    }

    private Uni<TransitKeyEntity> locked(String name) {
        return store.lock(name).map(key -> {
            if (key == null) {
                throw ProblemException.notFound("There is no transit key of this name.");
            }
            return key;
        });
    }

    private Uni<KeyInfo> describe(String name) {
        return store.find(name).chain(key -> {
            if (key == null) {
                throw ProblemException.notFound("There is no transit key of this name.");
            }
            return store.versions(name).map(versions -> new KeyInfo(key.name, key.keyType, key.derived, key.latestVersion,
                    key.minDecryptionVersion, key.minEncryptionVersion, key.minAvailableVersion, key.autoRotatePeriodSeconds, key.createdAt,
                    key.createdBy, key.updatedAt, key.rotatedAt,
                    versions.stream().map(v -> new VersionInfo(v.version, v.createdAt)).toList()));
        });
    }

    private TransitKeyVersionEntity newVersion(String name, int version, Instant now) {
        byte[] material = new byte[MasterKeyRing.KEY_BYTES];
        RANDOM.nextBytes(material);
        try {
            Envelope.Wrapped wrapped = envelope.wrapKey(Envelope.Domain.TRANSIT, name, version, material);
            TransitKeyVersionEntity row = new TransitKeyVersionEntity();
            row.name = name;
            row.version = version;
            row.wrappedKey = wrapped.wrappedKey();
            row.masterVersion = wrapped.masterVersion();
            row.createdAt = now;
            return row;
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    private static void validatePeriod(Long seconds) {
        if (seconds != null && seconds != 0 && (seconds < MIN_AUTO_ROTATE_SECONDS || seconds > MAX_AUTO_ROTATE_SECONDS)) {
            throw ProblemException.badRequest("autoRotatePeriodSeconds must be 0 (off) or between one hour and ten years");
        }
    }
}
