package dev.sekisho.secrets.config;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of secrets-service ({@code sekisho.secrets.*}; environment {@code SEKISHO_SECRETS_*}). */
@ConfigMapping(prefix = "sekisho.secrets")
public interface SecretsSettings {

    /**
     * The master-key ring: {@code version:base64,version:base64}, each key 32 random bytes (AES-256). Never in the
     * database: from the environment ({@code SEKISHO_SECRETS_MASTER_KEYS}) or a mounted file read as configuration
     * ({@code QUARKUS_CONFIG_LOCATIONS}). Rotating adds a version; a version may leave the ring once nothing uses it.
     */
    String masterKeys();

    /** The version that wraps new data keys; unset: the highest in the ring. */
    Optional<Integer> masterKeyCurrent();

    /**
     * The key of every keyed hash (base64, at least 32 bytes): the HMAC of values in audit records and
     * {@code audit-hash}. Unlike master keys it is not rotated: a new one makes old hashes unmatchable.
     */
    String hmacKey();

    /**
     * Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks): the client address that per-secret
     * allow-lists and audit records use is the first one, from the right, that is not one of them.
     */
    Optional<java.util.List<String>> trustedProxies();

    /** Where the access policies are: a directory of YAML files, reloaded when they change. */
    @WithDefault("deploy/secrets")
    String policiesDir();

    @WithDefault("5s")
    Duration reloadInterval();

    /** The largest value (the JSON of its data) one version may hold. */
    @WithDefault("65536")
    int maxValueBytes();

    /** Versions kept per secret unless its metadata says otherwise; older ones are removed when a new one is written. */
    @WithDefault("10")
    int defaultMaxVersions();

    /** Pairs of custom metadata per secret, and the characters of each key and value. */
    @WithDefault("32")
    int maxCustomMetadata();

    @WithDefault("512")
    int maxCustomMetadataLength();

    /** How often data keys wrapped by an older master key are re-wrapped by the current one. */
    @WithDefault("1h")
    Duration rewrapInterval();

    /** How many data keys one rewrap pass re-wraps in a transaction. */
    @WithDefault("500")
    int rewrapBatch();

    ApiKeys apiKeys();

    interface ApiKeys {
        /** The lifetime of a key created without an expiry. */
        @WithDefault("90d")
        Duration defaultLifetime();

        @WithDefault("730d")
        Duration maxLifetime();

        /** How long a rotated key stays valid beside its successor, at most. */
        @WithDefault("30d")
        Duration maxRotationOverlap();
    }

    Integrations integrations();

    interface Integrations {
        /** What an integration's name must be: a regular expression the whole name matches (names are at most 64 characters). */
        @WithDefault("[a-z][a-z0-9]*(-[a-z0-9]+)*")
        String namingRule();

        /** The data classes an integration may declare. */
        @WithDefault("personal,payment,health,internal,public")
        java.util.List<String> dataClasses();

        /** Data classes whose integrations need a second approval (by a second approver). */
        @WithDefault("personal,payment,health")
        java.util.List<String> sensitiveDataClasses();
    }

    Reviews reviews();

    interface Reviews {
        /** How often campaigns past their deadline are looked for and closed (their unconfirmed items acted on). */
        @WithDefault("1m")
        Duration checkInterval();
    }

    /** How often last-used times and counts of secrets and API keys are written (aggregated; never per read). */
    @WithDefault("30s")
    Duration usageFlushInterval();

    StaleReport staleReport();

    interface StaleReport {
        /** Unused this long: a finding (secrets never read, keys never used count from their creation). */
        @WithDefault("90")
        int unusedDays();

        /** Rotation or expiry this close: a finding. */
        @WithDefault("14")
        int dueWithinDays();

        /** How often the findings are sent to alert-service as signals. */
        @WithDefault("24h")
        Duration interval();

        /** Signals one run sends at most (the report itself lists every finding it covers). */
        @WithDefault("100")
        int maxSignals();
    }

    Transit transit();

    interface Transit {
        /** How old a cached transit key may get before it is re-read (in the background); rotations elsewhere show after it. */
        @WithDefault("1s")
        Duration keyCacheTtl();

        /** Transit keys kept unwrapped in memory at most. */
        @WithDefault("10000")
        int maxCachedKeys();

        /** How often keys with an auto-rotation period are checked for one that is due. */
        @WithDefault("1m")
        Duration autoRotateCheck();

        /** Items one batch request may hold (encrypt, decrypt, rewrap, hmac, verify). */
        @WithDefault("1000")
        int maxBatch();

        /** The largest plaintext (or HMAC input) of one item, in bytes. */
        @WithDefault("32768")
        int maxPlaintextBytes();

        /** The largest derivation context, in bytes. */
        @WithDefault("1024")
        int maxContextBytes();

        /** How often the aggregated audit records of encrypt, rewrap, hmac and verify are written. */
        @WithDefault("1m")
        Duration usageAuditInterval();

        /** Distinct (key, operation, caller) tallies held between two writes; beyond it, calls are tallied per key as "*". */
        @WithDefault("10000")
        int maxUsageTallies();
    }

    Tokens tokens();

    interface Tokens {
        /** Values one tokenize, detokenize or revoke request may hold. */
        @WithDefault("100")
        int maxBatch();

        /** The largest value one token stands for, in bytes. */
        @WithDefault("4096")
        int maxValueBytes();

        /** How long a token lives unless the request says; unset: until revoked. */
        Optional<Duration> defaultTtl();

        /** The longest lifetime a request may ask for. */
        @WithDefault("3650d")
        Duration maxTtl();
    }
}
