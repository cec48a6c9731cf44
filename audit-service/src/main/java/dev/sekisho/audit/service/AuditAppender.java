package dev.sekisho.audit.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.CheckpointEntity;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Appends records to the chain. Events from every caller queue up and are written in batches, one transaction
 * each, under a PostgreSQL advisory lock, so the chain stays linear however many instances and streams write.
 * A replayed event id is stored once: its acknowledgement carries the original sequence number. A signed
 * checkpoint is written every {@code checkpoint-every} events or {@code checkpoint-interval}.
 */
@ApplicationScoped
public class AuditAppender {

    /** What a producer gets back: the record's place in the chain, and whether it was there already. */
    public record Ack(UUID eventId, long seq, boolean duplicate) {
    }

    private record Pending(AuditEventEntity record, CompletableFuture<Ack> done) {
    }

    /** Every instance takes this lock to append, so sequence numbers and links never interleave. */
    static final long APPEND_LOCK = 0x5e_4b15_40L;
    private static final Logger LOG = Logger.getLogger(AuditAppender.class);

    @Inject
    Mutiny.SessionFactory sessions;

    @Inject
    CheckpointSigner signer;

    @Inject
    AuditSettings settings;

    @Inject
    Vertx vertx;

    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile long lastCheckpointSeq = -1;
    private volatile Instant lastCheckpointAt = Instant.now();
    private volatile long highestAppended;

    public Uni<Ack> append(AuditEventEntity record) {
        CompletableFuture<Ack> done = new CompletableFuture<>();
        queue.add(new Pending(record, done));
        drain();
        return Uni.createFrom().completionStage(done);
    }

    /** The highest sequence this instance has appended (a verifier's witness that the tail was not cut). */
    public long highestAppended() {
        return highestAppended;
    }

    private void drain() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>();
        Pending next;
        while (batch.size() < settings.batchSize() && (next = queue.poll()) != null) {
            batch.add(next);
        }
        if (batch.isEmpty()) {
            draining.set(false);
            if (!queue.isEmpty()) {
                drain();
            }
            return;
        }
        VertxContext.getOrCreateDuplicatedContext(vertx).runOnContext(ignored -> write(batch).subscribe().with(
                acks -> {
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).done().complete(acks.get(i));
                    }
                    draining.set(false);
                    drain();
                },
                failure -> {
                    LOG.errorf("audit append failed for %d event(s): %s", batch.size(), failure.getMessage());
                    batch.forEach(p -> p.done().completeExceptionally(failure));
                    draining.set(false);
                    drain();
                }));
    }

    private Uni<List<Ack>> write(List<Pending> batch) {
        List<UUID> ids = batch.stream().map(p -> p.record().eventId).distinct().toList();
        return sessions.withTransaction(session -> session
                .createNativeQuery("select cast(pg_advisory_xact_lock(" + APPEND_LOCK + ") as text)", String.class)
                .getSingleResult()
                .chain(() -> session.createQuery("from AuditEventEntity order by seq desc", AuditEventEntity.class)
                        .setMaxResults(1).getSingleResultOrNull())
                .chain(tail -> session.createQuery("select e.eventId, e.seq from AuditEventEntity e where e.eventId in :ids",
                                Object[].class).setParameter("ids", ids).getResultList()
                        .chain(existing -> link(session, batch, tail, existing))));
    }

    private Uni<List<Ack>> link(Mutiny.Session session, List<Pending> batch, AuditEventEntity tail, List<Object[]> existing) {
        Map<UUID, Long> known = new HashMap<>();
        existing.forEach(row -> known.put((UUID) row[0], (Long) row[1]));
        long seq = tail == null ? 0 : tail.seq;
        byte[] previous = tail == null ? HashChain.GENESIS : tail.hash;
        Instant now = Instant.now();
        List<AuditEventEntity> fresh = new ArrayList<>();
        List<Ack> acks = new ArrayList<>(batch.size());
        for (Pending pending : batch) {
            AuditEventEntity record = pending.record();
            Long original = known.get(record.eventId);
            if (original != null) {
                acks.add(new Ack(record.eventId, original, true));
                continue;
            }
            record.seq = ++seq;
            record.recordedAt = EventValidator.truncateToMicros(now);
            record.prevHash = previous;
            record.hash = HashChain.hash(previous, record);
            previous = record.hash;
            known.put(record.eventId, record.seq);
            fresh.add(record);
            acks.add(new Ack(record.eventId, record.seq, false));
        }
        if (fresh.isEmpty()) {
            return Uni.createFrom().item(acks);
        }
        AuditEventEntity last = fresh.get(fresh.size() - 1);
        Uni<Void> persisted = session.persistAll(fresh.toArray());
        if (checkpointDue(last.seq)) {
            persisted = persisted.chain(() -> session.persist(checkpoint(last.seq, last.hash, false)));
        }
        return persisted.chain(session::flush).invoke(() -> highestAppended = Math.max(highestAppended, last.seq))
                .replaceWith(acks);
    }

    private boolean checkpointDue(long seq) {
        return lastCheckpointSeq < 0 || seq - lastCheckpointSeq >= settings.checkpointEvery()
                || Instant.now().isAfter(lastCheckpointAt.plus(settings.checkpointInterval()));
    }

    CheckpointEntity checkpoint(long seq, byte[] hash, boolean anchor) {
        CheckpointEntity checkpoint = new CheckpointEntity();
        checkpoint.seq = seq;
        checkpoint.hash = hash;
        checkpoint.signedAt = EventValidator.truncateToMicros(Instant.now());
        checkpoint.keyId = signer.keyId();
        checkpoint.signature = signer.sign(seq, hash, checkpoint.signedAt);
        checkpoint.anchor = anchor;
        lastCheckpointSeq = seq;
        lastCheckpointAt = checkpoint.signedAt;
        return checkpoint;
    }

    /** A quiet log still gets a checkpoint over its newest record, so a cut tail cannot hide for long. */
    @Scheduled(every = "${sekisho.audit.checkpoint-interval}", delayed = "${sekisho.audit.checkpoint-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> checkpointQuietTail() {
        return sessions.withTransaction(session -> session
                .createNativeQuery("select cast(pg_advisory_xact_lock(" + APPEND_LOCK + ") as text)", String.class)
                .getSingleResult()
                .chain(() -> session.createQuery("from AuditEventEntity order by seq desc", AuditEventEntity.class)
                        .setMaxResults(1).getSingleResultOrNull())
                .chain(tail -> session.createQuery("select max(c.seq) from CheckpointEntity c", Long.class).getSingleResult()
                        .chain(signed -> tail == null || (signed != null && signed >= tail.seq)
                                ? Uni.createFrom().voidItem()
                                : session.persist(checkpoint(tail.seq, tail.hash, false)))))
                .onFailure().invoke(e -> LOG.warnf("periodic audit checkpoint failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
