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
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.CheckpointEntity;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
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

    @Inject
    ObjectMapper json;

    /** The newest record of the chain as this instance last linked it. */
    private record Tail(long seq, byte[] hash) {
    }

    /** A batch linked onto a tail: its acknowledgements, and what to insert unless every event was a duplicate. */
    private record Linked(Tail last, List<Ack> acks, String rows, CheckpointEntity checkpoint) {
    }

    /** At most this many batches at once: one inserting under the lock while the next is linked and encoded. */
    static final int BATCHES_IN_FLIGHT = 2;

    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private volatile long lastCheckpointSeq = -1;
    private volatile Instant lastCheckpointAt = Instant.now();
    private volatile long highestAppended;

    // guarded by this: batches taken and not finished, and the tail the newest of them was linked onto (null while
    // unknown: at start, after a failure, or while a batch is being linked)
    private int inFlight;
    private Tail linkedTail;

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

    /**
     * Takes the next batch if one may start. With nothing in flight a batch is linked under the append lock onto the
     * tail it reads there. While one is in flight the next is linked ahead, outside the lock, onto the tail the first
     * will leave, and its transaction checks under the lock that this is still the tail before inserting: if the
     * first failed, or another instance appended in between, the check fails and the batch is linked again under the
     * lock. So the encoding of one batch overlaps the insert of the other, and the chain stays linear.
     */
    private void drain() {
        List<Pending> batch = new ArrayList<>();
        Tail onto;
        synchronized (this) {
            if (inFlight >= BATCHES_IN_FLIGHT || (inFlight > 0 && linkedTail == null)) {
                return;
            }
            Pending next;
            while (batch.size() < settings.batchSize() && (next = queue.poll()) != null) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                return;
            }
            inFlight++;
            onto = inFlight > 1 ? linkedTail : null;
            linkedTail = null; // until this batch is linked
        }
        // A context of its own, and the work assembled on it: drain() also runs inside another batch's transaction,
        // and Hibernate Reactive hands the session it finds in the current context to any work assembled there (which
        // would then share that transaction and have its session closed under it).
        Context own = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(own, true);
        own.runOnContext(ignored -> write(batch, onto).subscribe().with(
                acks -> {
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).done().complete(acks.get(i));
                    }
                    finished(false);
                },
                failure -> {
                    LOG.errorf("audit append failed for %d event(s): %s", batch.size(), failure.getMessage());
                    batch.forEach(p -> p.done().completeExceptionally(failure));
                    finished(true);
                }));
        drain(); // the next batch may be linked ahead while this one is written
    }

    private Uni<List<Ack>> write(List<Pending> batch, Tail onto) {
        return onto == null ? writeUnderLock(batch)
                : writeAhead(batch, onto).onFailure().recoverWithUni(e -> {
                    LOG.debugf("audit batch linked ahead is stale (%s); linking it again under the lock", e.getMessage());
                    return writeUnderLock(batch);
                });
    }

    private void finished(boolean failed) {
        synchronized (this) {
            inFlight--;
            if (failed) {
                linkedTail = null; // whatever was linked onto it is stale; the next batch reads the tail under the lock
            }
        }
        drain();
    }

    private synchronized void linked(Tail last) {
        linkedTail = last;
    }

    /** Reads the tail and the ids already stored under the append lock, links the batch onto it and inserts. */
    private Uni<List<Ack>> writeUnderLock(List<Pending> batch) {
        return sessions.withTransaction(session -> lock(session)
                .chain(() -> tail(session))
                .chain(tail -> stored(session, batch)
                        .map(existing -> link(batch, tail, existing))
                        .invoke(linked -> linked(linked.last()))
                        .invoke(this::drain)
                        .chain(linked -> insert(session, linked))));
    }

    /**
     * Links the batch onto {@code onto} before taking the lock (the ids already stored are read outside it), then
     * inserts only if {@code onto} is still the tail under the lock. A duplicate that another batch stored in
     * between makes the insert fail on the unique event id; the caller then links again under the lock.
     */
    private Uni<List<Ack>> writeAhead(List<Pending> batch, Tail onto) {
        return sessions.withSession(session -> stored(session, batch))
                .map(existing -> link(batch, onto, existing))
                .invoke(linked -> linked(linked.last()))
                .invoke(this::drain)
                .chain(linked -> sessions.withTransaction(session -> lock(session)
                        .chain(() -> tail(session))
                        .chain(tail -> {
                            if (!sameTail(tail, onto)) {
                                return Uni.createFrom().failure(new IllegalStateException("the tail moved"));
                            }
                            return insert(session, linked);
                        })));
    }

    private static Uni<String> lock(Mutiny.Session session) {
        return session.createNativeQuery("select cast(pg_advisory_xact_lock(" + APPEND_LOCK + ") as text)", String.class)
                .getSingleResult();
    }

    private static Uni<Tail> tail(Mutiny.Session session) {
        return session.createNativeQuery("select seq, hash from audit_event order by seq desc limit 1", Object[].class)
                .getResultList()
                .map(rows -> rows.isEmpty() ? new Tail(0, HashChain.GENESIS)
                        : new Tail(((Number) rows.get(0)[0]).longValue(), (byte[]) rows.get(0)[1]));
    }

    private static boolean sameTail(Tail a, Tail b) {
        return a.seq() == b.seq() && java.util.Arrays.equals(a.hash(), b.hash());
    }

    /** The event ids of the batch that are stored already, with their sequence numbers. */
    private static Uni<Map<UUID, Long>> stored(Mutiny.Session session, List<Pending> batch) {
        String ids = batch.stream().map(p -> p.record().eventId.toString()).distinct().collect(Collectors.joining(",", "{", "}"));
        return session.createNativeQuery("select event_id, seq from audit_event where event_id = any(cast(cast(:ids as text) as uuid[]))",
                        Object[].class).setParameter("ids", ids).getResultList()
                .map(rows -> {
                    Map<UUID, Long> known = new HashMap<>();
                    rows.forEach(row -> known.put((UUID) row[0], ((Number) row[1]).longValue()));
                    return known;
                });
    }

    /** Sequence, time and hashes for the new events of the batch; a known id is acknowledged with its first place. */
    private Linked link(List<Pending> batch, Tail onto, Map<UUID, Long> known) {
        long seq = onto.seq();
        byte[] previous = onto.hash();
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
        Tail last = new Tail(seq, previous);
        if (fresh.isEmpty()) {
            return new Linked(last, acks, null, null);
        }
        return new Linked(last, acks, rows(fresh), checkpointDue(seq) ? checkpoint(seq, previous, false) : null);
    }

    private Uni<List<Ack>> insert(Mutiny.Session session, Linked linked) {
        if (linked.rows() == null) {
            return Uni.createFrom().item(linked.acks());
        }
        Uni<?> inserted = session.createNativeQuery(INSERT_ROWS).setParameter("rows", linked.rows()).executeUpdate();
        if (linked.checkpoint() != null) {
            inserted = inserted.chain(() -> session.persist(linked.checkpoint())).chain(session::flush);
        }
        return inserted.invoke(() -> highestAppended = Math.max(highestAppended, linked.last().seq())).replaceWith(linked.acks());
    }

    /**
     * The whole batch in one statement: its rows travel as one JSON array, expanded by PostgreSQL. Persisting them
     * one entity at a time cost most of the service's CPU (Hibernate's per-entity work was 71% of the samples).
     */
    static final String INSERT_ROWS = """
            insert into audit_event (seq, event_id, occurred_at, recorded_at, actor_type, actor_id, actor_ip, actor_user_agent,
                actor_client_id, action, resource_type, resource_id, outcome, reason, service, trace_id, attributes, prev_hash, hash)
            select seq, event_id, occurred_at, recorded_at, actor_type, actor_id, actor_ip, actor_user_agent,
                actor_client_id, action, resource_type, resource_id, outcome, reason, service, trace_id, attributes,
                decode(prev_hash, 'base64'), decode(hash, 'base64')
            from jsonb_to_recordset(cast(cast(:rows as text) as jsonb)) as r(seq bigint, event_id uuid, occurred_at timestamptz,
                recorded_at timestamptz, actor_type text, actor_id text, actor_ip text, actor_user_agent text,
                actor_client_id text, action text, resource_type text, resource_id text, outcome text, reason text,
                service text, trace_id text, attributes jsonb, prev_hash text, hash text)
            """;

    /** One batch as the JSON array INSERT_ROWS reads; times to the microsecond, hashes in base64. */
    private String rows(List<AuditEventEntity> records) {
        List<Map<String, Object>> rows = new ArrayList<>(records.size());
        for (AuditEventEntity r : records) {
            Map<String, Object> row = new HashMap<>(32);
            row.put("seq", r.seq);
            row.put("event_id", r.eventId.toString());
            row.put("occurred_at", r.occurredAt.toString());
            row.put("recorded_at", r.recordedAt.toString());
            row.put("actor_type", r.actorType);
            row.put("actor_id", r.actorId);
            row.put("actor_ip", r.actorIp);
            row.put("actor_user_agent", r.actorUserAgent);
            row.put("actor_client_id", r.actorClientId);
            row.put("action", r.action);
            row.put("resource_type", r.resourceType);
            row.put("resource_id", r.resourceId);
            row.put("outcome", r.outcome);
            row.put("reason", r.reason);
            row.put("service", r.service);
            row.put("trace_id", r.traceId);
            row.put("attributes", r.attributes == null ? Map.of() : r.attributes);
            row.put("prev_hash", r.prevHash);
            row.put("hash", r.hash);
            rows.add(row);
        }
        try {
            return json.writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an audit batch could not be encoded", e);
        }
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
        return sessions.withTransaction(session -> lock(session)
                .chain(() -> tail(session))
                .chain(tail -> session.createQuery("select max(c.seq) from CheckpointEntity c", Long.class).getSingleResult()
                        .chain(signed -> tail.seq() == 0 || (signed != null && signed >= tail.seq())
                                ? Uni.createFrom().voidItem()
                                : session.persist(checkpoint(tail.seq(), tail.hash(), false)))))
                .onFailure().invoke(e -> LOG.warnf("periodic audit checkpoint failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
