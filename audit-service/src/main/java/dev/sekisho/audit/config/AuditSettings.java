package dev.sekisho.audit.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** Settings of audit-service ({@code sekisho.audit.*}; environment {@code SEKISHO_AUDIT_*}). */
@ConfigMapping(prefix = "sekisho.audit")
public interface AuditSettings {

    /** A signed checkpoint is written after this many events ... */
    @WithDefault("1000")
    int checkpointEvery();

    /** ... or this long after the last one, whichever comes first (when there are new events). */
    @WithDefault("10s")
    Duration checkpointInterval();

    /**
     * PKCS#8 Ed25519 private key (its public key beside it, {@code .pub}); created on the first start of an empty log
     * only: with checkpoints stored, a missing key is a refusal to start. Keep it out of the database.
     */
    @WithDefault(".sekisho/audit-signing.key")
    String signingKeyFile();

    /** The public key the signing key must have (base64 X.509, as GET /v1/audit/public-key serves it); unset: any. */
    Optional<String> signingPublicKey();

    /** The newest checkpoint, kept outside PostgreSQL as well. */
    Witness witness();

    interface Witness {
        @WithDefault("true")
        boolean enabled();

        /** The Redis hash that holds it; one per audit database. */
        @WithDefault("sekisho:audit:witness")
        String key();
    }

    /**
     * Events in one append transaction at most. Appends are serial (one chain), so under load each transaction
     * should carry many: 2,000 gave 59% of the plain-INSERT rate in the benchmark, 500 gave 49%, 4,000 62%.
     */
    @WithDefault("2000")
    int batchSize();

    /** How far in the future occurred_at may be (clock skew between services). */
    @WithDefault("5m")
    Duration maxClockSkew();

    /** Upper bound for one event's attributes, all keys and values together, in characters. */
    @WithDefault("16384")
    int maxAttributesSize();

    /** HMAC key for personal identifiers (actor IP, listed attributes); unset: stored as sent. */
    Optional<String> pseudonymKey();

    @WithDefault("email,ip,ip_address,phone")
    Set<String> pseudonymizedAttributes();

    Retention retention();

    interface Retention {
        /** action-prefix=period, e.g. ratelimit=30d; the longest matching prefix wins. */
        Optional<List<String>> rules();

        /** For actions no rule names; unset: kept forever. */
        @WithName("default")
        Optional<String> defaultPeriod();

        @WithDefault("1h")
        Duration interval();
    }
}
