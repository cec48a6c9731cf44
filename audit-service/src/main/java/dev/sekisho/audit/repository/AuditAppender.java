package dev.sekisho.audit.repository;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.common.tracing.Steps;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Appends records to the chain. Events from every caller queue up and are written in batches, one transaction
 * each, under a PostgreSQL advisory lock, so the chain stays linear however many instances and streams write.
 * A replayed event id is stored once: its acknowledgement carries the original sequence number. A signed
 * checkpoint is written every {@code checkpoint-every} events or {@code checkpoint-interval}. Each batch is one span,
 * {@code audit batch write}, a child of its first record's {@code audit chain append} that links the others', with
 * the transaction's PostgreSQL commands beneath it.
 */
@ApplicationScoped
public class AuditAppender {

    /** What a producer gets back: the record's place in the chain, and whether it was there already. */
    public record Ack(UUID eventId, long seq, boolean duplicate) {
    }

    /** A queued record, with the trace context of its request (the batch that writes it links it). */
    private record Pending(AuditEventEntity record, CompletableFuture<Ack> done, Context trace) {
    }

    /** Every instance takes this lock to append, so sequence numbers and links never interleave. */
    public static final long APPEND_LOCK = 0x5e_4b15_40L;
    private static final Logger LOG = Logger.getLogger(AuditAppender.class);

    /** The reactive pool itself: the batch travels as typed arrays in PostgreSQL's binary format. */
    @Inject
    Pool pool;

    @Inject
    CheckpointSigner signer;

    @Inject
    CheckpointWitness witness;

    @Inject
    AuditSettings settings;

    @Inject
    MeterRegistry metrics;

    @Inject
    Steps steps;

    /** The newest record of the chain as this instance last linked it. */
    private record Tail(long seq, byte[] hash) {
    }

    /** A batch linked onto a tail: its acknowledgements, and what to insert unless every event was a duplicate. */
    private record Linked(Tail last, List<Ack> acks, Tuple rows, CheckpointEntity checkpoint) {
    }

    /** At most this many batches at once: one inserting under the lock while the next is linked and encoded. */
    static final int BATCHES_IN_FLIGHT = 2;

    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Batches linked ahead that found the tail moved (another instance appended, or the batch before failed). */
    private final AtomicLong relinked = new AtomicLong();
    private volatile long lastCheckpointSeq = -1;
    private volatile Instant lastCheckpointAt = Instant.now();
    private volatile long highestAppended;

    // guarded by this: batches taken and not finished, and the tail the newest of them was linked onto (null while
    // unknown: at start, after a failure, or while a batch is being linked)
    private int inFlight;
    private Tail linkedTail;

    @PostConstruct
    void registerMetrics() {
        FunctionCounter.builder("sekisho_audit_batches_relinked", relinked, AtomicLong::get)
                .description("batches linked ahead that found the chain's tail moved and were linked again under the lock")
                .register(metrics);
    }

    @WithSpan("audit chain append")
    public Uni<Ack> append(AuditEventEntity record) {
        CompletableFuture<Ack> done = new CompletableFuture<>();
        queue.add(new Pending(record, done, Context.current()));
        drain();
        return Uni.createFrom().completionStage(done);
    }

    /** How many signed checkpoints the log holds. */
    public Uni<Long> checkpoints() {
        return pool.query("select count(*) from audit_checkpoint").execute().map(rows -> rows.iterator().next().getLong(0));
    }

    /** The newest signed checkpoint's sequence number in the database, or 0. */
    public Uni<Long> newestCheckpoint() {
        return pool.query("select coalesce(max(seq), 0) from audit_checkpoint").execute().map(rows -> rows.iterator().next().getLong(0));
    }

    /** How many batches linked ahead were linked again under the lock. */
    public long relinked() {
        return relinked.get();
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
        steps.tracedBatch("audit batch write", batch.stream().map(Pending::trace).toList(), () -> write(batch, onto)).subscribe().with(
                acks -> {
                    // committed: only now may the verifier count these records as written
                    acks.stream().filter(a -> !a.duplicate()).mapToLong(Ack::seq).max().ifPresent(this::appended);
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).done().complete(acks.get(i));
                    }
                    finished(false);
                },
                failure -> {
                    LOG.errorf("audit append failed for %d event(s): %s", batch.size(), failure.getMessage());
                    batch.forEach(p -> p.done().completeExceptionally(failure));
                    finished(true);
                });
        drain(); // the next batch may be linked ahead while this one is written
    }

    private Uni<List<Ack>> write(List<Pending> batch, Tail onto) {
        return onto == null ? writeUnderLock(batch)
                : writeAhead(batch, onto).onFailure().recoverWithUni(e -> {
                    LOG.debugf("audit batch linked ahead is stale (%s); linking it again under the lock", e.getMessage());
                    relinked.incrementAndGet();
                    return writeUnderLock(batch);
                });
    }

    private synchronized void appended(long seq) {
        highestAppended = Math.max(highestAppended, seq);
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
        return witness.read().onFailure().recoverWithItem(Optional.empty())
                .chain(witnessed -> pool.withTransaction(conn -> lock(conn)
                        .chain(() -> tail(conn))
                        .map(tail -> afterWitness(tail, witnessed))
                        .chain(tail -> stored(conn, batch).map(existing -> link(batch, tail, existing)))
                        .invoke(linked -> linked(linked.last()))
                        .invoke(this::drain)
                        .chain(linked -> insert(conn, linked).replaceWith(linked))))
                .call(linked -> committed(linked.checkpoint()))
                .map(Linked::acks);
    }

    /**
     * The tail to link onto: the database's, unless the witness outside PostgreSQL holds a later checkpoint. Then
     * records were removed from the database's end; new ones continue after the witnessed checkpoint, so the gap stays
     * in the record (verify names it) instead of new records taking the removed ones' sequence numbers.
     */
    private Tail afterWitness(Tail tail, Optional<CheckpointWitness.Witnessed> witnessed) {
        if (witnessed.isEmpty() || witnessed.get().seq() <= tail.seq()) {
            return tail;
        }
        CheckpointWitness.Witnessed w = witnessed.get();
        LOG.errorf("the audit log ends at %d but a checkpoint at %d was signed and witnessed outside PostgreSQL: records %d to %d"
                + " are gone; new records continue after %d", tail.seq(), w.seq(), tail.seq() + 1, w.seq(), w.seq());
        return new Tail(w.seq(), w.hash());
    }

    /**
     * Links the batch onto {@code onto} before taking the lock (the ids already stored are read outside it), then
     * inserts only if {@code onto} is still the tail under the lock. A duplicate that another batch stored in
     * between makes the insert fail on the unique event id; the caller then links again under the lock.
     */
    private Uni<List<Ack>> writeAhead(List<Pending> batch, Tail onto) {
        return stored(pool, batch)
                .map(existing -> link(batch, onto, existing))
                .invoke(linked -> linked(linked.last()))
                .invoke(this::drain)
                .chain(linked -> pool.withTransaction(conn -> lock(conn)
                        .chain(() -> tail(conn))
                        .chain(tail -> sameTail(tail, onto) ? insert(conn, linked)
                                : Uni.createFrom().failure(new IllegalStateException("the tail moved"))))
                        .call(() -> committed(linked.checkpoint())));
    }

    private static Uni<Void> lock(SqlClient conn) {
        return conn.query("select pg_advisory_xact_lock(" + APPEND_LOCK + ")").execute().replaceWithVoid();
    }

    private static Uni<Tail> tail(SqlClient conn) {
        return conn.query("select seq, hash from audit_event order by seq desc limit 1").execute()
                .map(rows -> {
                    var it = rows.iterator();
                    if (!it.hasNext()) {
                        return new Tail(0, HashChain.GENESIS);
                    }
                    Row row = it.next();
                    return new Tail(row.getLong(0), row.getBuffer(1).getBytes());
                });
    }

    private static boolean sameTail(Tail a, Tail b) {
        return a.seq() == b.seq() && Arrays.equals(a.hash(), b.hash());
    }

    /** The event ids of the batch that are stored already, with their sequence numbers. */
    private static Uni<Map<UUID, Long>> stored(SqlClient conn, List<Pending> batch) {
        UUID[] ids = batch.stream().map(p -> p.record().eventId).distinct().toArray(UUID[]::new);
        return conn.preparedQuery("select event_id, seq from audit_event where event_id = any($1)").execute(Tuple.of(ids))
                .map(rows -> {
                    Map<UUID, Long> known = new HashMap<>();
                    rows.forEach(row -> known.put(row.getUUID(0), row.getLong(1)));
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
            record.recordedAt = AuditEventEntity.truncateToMicros(now);
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
        return new Linked(last, acks, columns(fresh), checkpointDue(seq) ? checkpoint(seq, previous, false) : null);
    }

    private Uni<List<Ack>> insert(SqlClient conn, Linked linked) {
        if (linked.rows() == null) {
            return Uni.createFrom().item(linked.acks());
        }
        Uni<?> inserted = conn.preparedQuery(INSERT_ROWS).execute(linked.rows());
        if (linked.checkpoint() != null) {
            inserted = inserted.chain(() -> insertCheckpoint(conn, linked.checkpoint()));
        }
        return inserted.replaceWith(linked.acks());
    }

    private static Uni<Void> insertCheckpoint(SqlClient conn, CheckpointEntity c) {
        return conn.preparedQuery("insert into audit_checkpoint (seq, hash, signed_at, key_id, signature, anchor) values ($1, $2, $3, $4, $5, $6)")
                .execute(Tuple.tuple(List.of(c.seq, Buffer.buffer(c.hash), c.signedAt.atOffset(ZoneOffset.UTC), c.keyId,
                        Buffer.buffer(c.signature), c.anchor)))
                .replaceWithVoid();
    }

    /**
     * The whole batch in one statement, one typed array per column (bound in PostgreSQL's binary format). Persisting
     * rows one entity at a time cost most of the service's CPU; a JSON array expanded by jsonb_to_recordset cost
     * PostgreSQL half as much again as these arrays (13.6 against 9.2 ms for 500 rows).
     */
    static final String INSERT_ROWS = """
            insert into audit_event (seq, event_id, occurred_at, recorded_at, actor_type, actor_id, actor_ip, actor_user_agent,
                actor_client_id, action, resource_type, resource_id, outcome, reason, service, trace_id, attributes, prev_hash, hash)
            select * from unnest($1::bigint[], $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                $16::text[], $17::jsonb[], $18::bytea[], $19::bytea[])
            """;

    /** One batch as the column arrays INSERT_ROWS reads. */
    private static Tuple columns(List<AuditEventEntity> records) {
        int n = records.size();
        Long[] seq = new Long[n];
        UUID[] eventId = new UUID[n];
        OffsetDateTime[] occurredAt = new OffsetDateTime[n];
        OffsetDateTime[] recordedAt = new OffsetDateTime[n];
        String[][] text = new String[12][n];
        JsonObject[] attributes = new JsonObject[n];
        Buffer[] prevHash = new io.vertx.core.buffer.Buffer[n];
        Buffer[] hash = new io.vertx.core.buffer.Buffer[n];
        for (int i = 0; i < n; i++) {
            AuditEventEntity r = records.get(i);
            seq[i] = r.seq;
            eventId[i] = r.eventId;
            occurredAt[i] = r.occurredAt.atOffset(ZoneOffset.UTC);
            recordedAt[i] = r.recordedAt.atOffset(ZoneOffset.UTC);
            String[] values = { r.actorType, r.actorId, r.actorIp, r.actorUserAgent, r.actorClientId, r.action,
                    r.resourceType, r.resourceId, r.outcome, r.reason, r.service, r.traceId };
            for (int c = 0; c < values.length; c++) {
                text[c][i] = values[c];
            }
            attributes[i] = r.attributes == null ? new JsonObject() : new JsonObject(new HashMap<>(r.attributes));
            prevHash[i] = Buffer.buffer(r.prevHash);
            hash[i] = Buffer.buffer(r.hash);
        }
        List<Object> columns = new ArrayList<>(19);
        columns.addAll(List.of(seq, eventId, occurredAt, recordedAt));
        columns.addAll(Arrays.asList((Object[]) text));
        columns.addAll(List.of(attributes, prevHash, hash));
        return Tuple.tuple(columns);
    }

    private boolean checkpointDue(long seq) {
        return lastCheckpointSeq < 0 || seq - lastCheckpointSeq >= settings.checkpointEvery()
                || Instant.now().isAfter(lastCheckpointAt.plus(settings.checkpointInterval()));
    }

    CheckpointEntity checkpoint(long seq, byte[] hash, boolean anchor) {
        CheckpointEntity checkpoint = new CheckpointEntity();
        checkpoint.seq = seq;
        checkpoint.hash = hash;
        checkpoint.signedAt = AuditEventEntity.truncateToMicros(Instant.now());
        checkpoint.keyId = signer.keyId();
        checkpoint.signature = signer.sign(seq, hash, checkpoint.signedAt);
        checkpoint.anchor = anchor;
        return checkpoint;
    }

    /**
     * A checkpoint is counted as written (for {@link #checkpointDue}) only once its transaction committed: a batch
     * linked ahead whose insert failed is linked again, and must then sign again. The witness outside PostgreSQL
     * learns of it too.
     */
    private Uni<Void> committed(CheckpointEntity checkpoint) {
        if (checkpoint == null) {
            return Uni.createFrom().voidItem();
        }
        synchronized (this) {
            if (checkpoint.seq > lastCheckpointSeq) {
                lastCheckpointSeq = checkpoint.seq;
                lastCheckpointAt = checkpoint.signedAt;
            }
        }
        return witness.offer(checkpoint);
    }

    /** A quiet log still gets a checkpoint over its newest record, so a cut tail cannot hide for long. */
    @Scheduled(every = "${sekisho.audit.checkpoint-interval}", delayed = "${sekisho.audit.checkpoint-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> checkpointQuietTail() {
        return pool.withTransaction(conn -> lock(conn)
                .chain(() -> tail(conn))
                .chain(tail -> conn.query("select max(seq) from audit_checkpoint").execute()
                        .map(rows -> rows.iterator().next().getLong(0))
                        .chain(signed -> {
                            if (tail.seq() == 0 || (signed != null && signed >= tail.seq())) {
                                return Uni.createFrom().<CheckpointEntity>nullItem();
                            }
                            CheckpointEntity checkpoint = checkpoint(tail.seq(), tail.hash(), false);
                            return insertCheckpoint(conn, checkpoint).replaceWith(checkpoint);
                        })))
                .call(this::committed)
                .onFailure().invoke(e -> LOG.warnf("periodic audit checkpoint failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
