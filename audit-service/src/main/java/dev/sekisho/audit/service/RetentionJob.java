package dev.sekisho.audit.service;

import dev.sekisho.audit.repository.AuditAppender;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.PurgeEntity;
import dev.sekisho.audit.repository.PurgedEntity;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Removes records past their retention period (per action prefix, the longest matching prefix wins). The
 * newest record is always kept, as the chain's tail. Each removed record leaves a tombstone with its hash, and
 * the run is signed, so the retained chain still verifies and a deletion cannot pose as retention.
 */
@ApplicationScoped
public class RetentionJob {

    /** The database role that alone may delete audit records (migration V4). */
    public static final String RETENTION_ROLE = "sekisho_audit_retention";

    /** How many records one run removes at most; the next run continues. */
    static final int MAX_PER_RUN = 10_000;
    private static final Logger LOG = Logger.getLogger(RetentionJob.class);

    @Inject
    Mutiny.SessionFactory sessions;

    @Inject
    CheckpointSigner signer;

    private final Map<String, Duration> rules = new LinkedHashMap<>();
    private final Optional<Duration> defaultPeriod;

    @Inject
    public RetentionJob(AuditSettings settings) {
        settings.retention().rules().orElse(List.of()).forEach(rule -> {
            String[] parts = rule.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("retention rules look like action.prefix=30d, not " + rule);
            }
            this.rules.put(parts[0].trim(), DurationConverter.parseDuration(parts[1].trim()));
        });
        this.defaultPeriod = settings.retention().defaultPeriod().filter(p -> !p.isBlank()).map(DurationConverter::parseDuration);
    }

    /** The retention period of an action, or empty when it is kept forever. */
    Optional<Duration> periodOf(String action) {
        return rules.entrySet().stream()
                .filter(rule -> action.equals(rule.getKey()) || action.startsWith(rule.getKey() + "."))
                .max(Comparator.comparingInt(rule -> rule.getKey().length()))
                .map(Map.Entry::getValue)
                .or(() -> defaultPeriod);
    }

    @Scheduled(every = "${sekisho.audit.retention.interval:1h}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return run().invoke(n -> {
            if (n > 0) {
                LOG.infof("retention removed %d audit record(s)", n);
            }
        }).onFailure().invoke(e -> LOG.warnf("audit retention failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Removes what has expired now; returns how many records. */
    public Uni<Integer> run() {
        Optional<Duration> shortest = rules.values().stream().min(Comparator.naturalOrder());
        if (shortest.isEmpty() && defaultPeriod.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        Duration minimum = shortest.map(s -> defaultPeriod.map(d -> s.compareTo(d) < 0 ? s : d).orElse(s)).orElseGet(defaultPeriod::get);
        Instant now = Instant.now();
        return sessions.withTransaction(session -> session
                .createNativeQuery("select cast(pg_advisory_xact_lock(" + AuditAppender.APPEND_LOCK + ") as text)", String.class)
                .getSingleResult()
                .chain(() -> session.createQuery("from AuditEventEntity e where e.occurredAt < :cutoff "
                                + "and e.seq < (select max(t.seq) from AuditEventEntity t) order by e.seq", AuditEventEntity.class)
                        .setParameter("cutoff", now.minus(minimum)).setMaxResults(MAX_PER_RUN).getResultList())
                .chain(candidates -> {
                    List<AuditEventEntity> expired = new ArrayList<>();
                    for (AuditEventEntity e : candidates) {
                        periodOf(e.action).filter(p -> e.occurredAt.isBefore(now.minus(p))).ifPresent(p -> expired.add(e));
                    }
                    if (expired.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    return session.createQuery("select coalesce(max(p.id), 0) from PurgeEntity p", Long.class).getSingleResult()
                            .chain(lastId -> purge(session, lastId + 1, expired, now));
                }));
    }

    private Uni<Integer> purge(Mutiny.Session session, long purgeId, List<AuditEventEntity> expired, Instant now) {
        PurgeEntity purge = new PurgeEntity();
        purge.id = purgeId;
        purge.purgedAt = AuditEventEntity.truncateToMicros(now);
        purge.records = expired.size();
        purge.digest = digest(expired.stream().map(e -> tombstone(e, purgeId)).toList());
        purge.keyId = signer.keyId();
        purge.signature = signer.sign(purge.id, purge.digest, purge.purgedAt);
        List<Object> rows = new ArrayList<>();
        rows.add(purge);
        expired.forEach(e -> rows.add(tombstone(e, purgeId)));
        List<Long> seqs = expired.stream().map(e -> e.seq).toList();
        // the deletion alone runs as the retention role (the only one the append-only trigger lets delete records)
        return session.persistAll(rows.toArray())
                .chain(session::flush)
                .chain(() -> session.createNativeQuery("set local role " + RETENTION_ROLE).executeUpdate())
                .chain(() -> session.createMutationQuery("delete from AuditEventEntity e where e.seq in :seqs")
                        .setParameter("seqs", seqs).executeUpdate())
                .call(() -> session.createNativeQuery("reset role").executeUpdate());
    }

    private static PurgedEntity tombstone(AuditEventEntity e, long purgeId) {
        PurgedEntity t = new PurgedEntity();
        t.seq = e.seq;
        t.hash = e.hash;
        t.purgeId = purgeId;
        return t;
    }

    /** SHA-256 over (seq, hash) of every tombstone of a purge, in sequence order. */
    public static byte[] digest(List<PurgedEntity> tombstones) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            tombstones.stream().sorted(Comparator.comparingLong(t -> t.seq)).forEach(t -> {
                sha.update(ByteBuffer.allocate(8).putLong(t.seq).array());
                sha.update(t.hash);
            });
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
