package dev.sekisho.audit.repository;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.config.AuditSettings;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

/**
 * The newest signed checkpoint, kept outside PostgreSQL too (a Redis hash, {@code sekisho.audit.witness.key}): whoever
 * can rewrite the database, and restarts audit-service, still cannot make the chain end earlier than a checkpoint it
 * signed, or end differently there. Only ever moves forward (a script compares the sequence numbers).
 */
@ApplicationScoped
public class CheckpointWitness {

    /** A checkpoint as the witness holds it. */
    public record Witnessed(long seq, byte[] hash, Instant signedAt, String keyId, byte[] signature) {
    }

    private static final Logger LOG = Logger.getLogger(CheckpointWitness.class);
    private static final String FORWARD_ONLY = """
            local current = redis.call('HGET', KEYS[1], 'seq')
            if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
            redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[2], 'signed_at', ARGV[3], 'key_id', ARGV[4], 'signature', ARGV[5])
            return 1""";

    @Inject
    ReactiveRedisDataSource redis;

    @Inject
    AuditSettings settings;

    /** Records a committed checkpoint; a failure is logged, never the append's (the database holds the checkpoint). */
    public Uni<Void> offer(CheckpointEntity checkpoint) {
        if (checkpoint == null || !settings.witness().enabled()) {
            return Uni.createFrom().voidItem();
        }
        HexFormat hex = HexFormat.of();
        return redis.execute("EVAL", FORWARD_ONLY, "1", settings.witness().key(), String.valueOf(checkpoint.seq),
                        hex.formatHex(checkpoint.hash), String.valueOf(HashChain.micros(checkpoint.signedAt)), checkpoint.keyId,
                        hex.formatHex(checkpoint.signature))
                .replaceWithVoid()
                .onFailure().invoke(e -> LOG.warnf("the checkpoint at %d is not witnessed outside PostgreSQL: %s", checkpoint.seq,
                        e.getClass().getSimpleName()))
                .onFailure().recoverWithNull();
    }

    /** The witnessed checkpoint; empty when there is none (or witnessing is off). Fails when Redis cannot say. */
    public Uni<Optional<Witnessed>> read() {
        if (!settings.witness().enabled()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return redis.execute("HMGET", settings.witness().key(), "seq", "hash", "signed_at", "key_id", "signature")
                .map(CheckpointWitness::parse);
    }

    private static Optional<Witnessed> parse(Response fields) {
        List<String> values = new java.util.ArrayList<>();
        fields.forEach(value -> values.add(value == null ? null : value.toString()));
        if (values.size() < 5 || values.contains(null)) {
            return Optional.empty();
        }
        HexFormat hex = HexFormat.of();
        long micros = Long.parseLong(values.get(2));
        return Optional.of(new Witnessed(Long.parseLong(values.get(0)), hex.parseHex(values.get(1)),
                Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                values.get(3), hex.parseHex(values.get(4))));
    }
}
