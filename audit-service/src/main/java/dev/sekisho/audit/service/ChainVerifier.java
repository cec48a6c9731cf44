package dev.sekisho.audit.service;

import dev.sekisho.audit.repository.AuditAppender;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.audit.repository.CheckpointWitness;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.CheckpointEntity;
import dev.sekisho.audit.repository.PurgeEntity;
import dev.sekisho.audit.repository.PurgedEntity;
import dev.sekisho.common.problem.ProblemException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * Recomputes the chain over a range and checks the signed checkpoints in it; names the first record that is
 * missing, modified, or does not link to its predecessor (reordered or inserted), a stretch without the checkpoints
 * the appender writes (every {@code checkpoint-every} events, and a quiet tail within {@code checkpoint-interval}),
 * and a cut-off tail. The witnesses of the tail (the newest checkpoint in the database, the newest kept outside it,
 * the highest sequence this instance appended) are read before the walk, so records appended while it runs are
 * never taken for lost ones.
 */
@ApplicationScoped
public class ChainVerifier {

    /** The answer: valid, or the first bad record and what is wrong with it. */
    public record Result(boolean valid, long checkedRecords, long checkedCheckpoints, Long firstSeq, Long lastSeq,
            Problem problem) {
    }

    /** kind: missing, modified, unlinked, truncated, bad-checkpoint, missing-checkpoint. */
    public record Problem(long seq, String eventId, String kind, String detail) {
    }

    static final int PAGE = 5_000;

    @Inject
    Mutiny.SessionFactory sessions;

    @Inject
    CheckpointSigner signer;

    @Inject
    AuditAppender appender;

    @Inject
    CheckpointWitness witness;

    @Inject
    AuditSettings settings;

    public Uni<Result> verify(Long from, Long to) {
        if (from != null && from < 1 || to != null && to < 1 || from != null && to != null && from > to) {
            throw ProblemException.badRequest("from and to are sequence numbers, 1 or more, from <= to");
        }
        long start = from == null ? 1 : from;
        long end = to == null ? Long.MAX_VALUE : to;
        long appendedBefore = appender.highestAppended();
        return witness.read().onFailure().recoverWithItem(Optional.empty())
                .chain(witnessed -> appender.newestCheckpoint().chain(signed -> sessions.withSession(session -> checkpoints(session, start, end)
                        .chain(checkpoints -> previousHash(session, start).map(previous -> new Walk(start, end, to == null,
                                checkpoints, previous, new Witnesses(signed, appendedBefore, witnessed.orElse(null))))))))
                .chain(Walk::run);
    }

    /** What says where the chain ends, read before the walk. */
    private record Witnesses(long newestCheckpoint, long appended, CheckpointWitness.Witnessed outside) {
    }

    private Uni<Map<Long, CheckpointEntity>> checkpoints(Mutiny.Session session, long start, long end) {
        return session.createQuery("from CheckpointEntity c where c.seq >= :start - 1 and c.seq <= :end order by c.seq",
                        CheckpointEntity.class)
                .setParameter("start", start).setParameter("end", end).getResultList()
                .map(list -> {
                    Map<Long, CheckpointEntity> bySeq = new HashMap<>();
                    list.forEach(c -> bySeq.put(c.seq, c));
                    return bySeq;
                });
    }

    /** What the first record of the range must link to: genesis, the stored record before it, or an anchor. */
    private Uni<byte[]> previousHash(Mutiny.Session session, long start) {
        if (start == 1) {
            return Uni.createFrom().item(HashChain.GENESIS);
        }
        return session.find(AuditEventEntity.class, start - 1)
                .chain(before -> before != null ? Uni.createFrom().item(before.hash)
                        : session.find(PurgedEntity.class, start - 1).map(tombstone -> tombstone == null ? null : tombstone.hash));
    }

    /** One pass over the range, a page at a time, each page in a session of its own, so memory stays flat. */
    private final class Walk {
        final long end;
        final boolean toTail;
        final Map<Long, CheckpointEntity> checkpoints;
        long expected;
        byte[] previous;
        long checked;
        long checkedCheckpoints;
        Long first;
        Long last;

        final Witnesses witnesses;
        final long maxUnsigned;
        long sinceCheckpoint;
        Instant lastRecordedAt;
        boolean lastSigned;

        Problem problem;

        Walk(long start, long end, boolean toTail, Map<Long, CheckpointEntity> checkpoints, byte[] previous, Witnesses witnesses) {
            this.end = end;
            this.toTail = toTail;
            this.checkpoints = checkpoints;
            this.expected = start;
            this.previous = previous;
            this.witnesses = witnesses;
            // a checkpoint ends the batch in which checkpoint-every events were reached
            this.maxUnsigned = (long) settings.checkpointEvery() + settings.batchSize();
        }

        final Map<Long, PurgedEntity> tombstones = new HashMap<>();
        final Map<Long, Boolean> purgeValid = new HashMap<>();

        Uni<Result> run() {
            return Multi.createBy().repeating()
                    .uni(() -> this, walk -> sessions.withSession(session -> session
                            .createQuery("from AuditEventEntity e where e.seq >= :from and e.seq <= :end order by e.seq",
                                    AuditEventEntity.class)
                            .setParameter("from", expected).setParameter("end", end).setMaxResults(PAGE).getResultList()
                            .call(page -> page.isEmpty() ? Uni.createFrom().voidItem()
                                    : loadTombstones(session, expected, page.get(page.size() - 1).seq)))
                            .invoke(page -> problem = check(page)))
                    // the first problem ends the walk: the next page would start where this one stopped, again
                    .whilst(page -> page.size() == PAGE && problem == null)
                    .collect().last()
                    .chain(ignored -> problem != null ? Uni.createFrom().item(result(problem)) : tail());
        }

        /** Tombstones of records removed by retention in [from, to], with the validity of their signed purges. */
        private Uni<Void> loadTombstones(Mutiny.Session session, long from, long to) {
            return session.createQuery("from PurgedEntity p where p.seq >= :from and p.seq <= :to", PurgedEntity.class)
                    .setParameter("from", from).setParameter("to", to).getResultList()
                    .chain(found -> {
                        found.forEach(t -> tombstones.put(t.seq, t));
                        List<Long> unknown = found.stream().map(t -> t.purgeId).distinct().filter(id -> !purgeValid.containsKey(id)).toList();
                        if (unknown.isEmpty()) {
                            return Uni.createFrom().voidItem();
                        }
                        return session.createQuery("from PurgeEntity p where p.id in :ids", PurgeEntity.class)
                                .setParameter("ids", unknown).getResultList()
                                .chain(purges -> session.createQuery("from PurgedEntity t where t.purgeId in :ids", PurgedEntity.class)
                                        .setParameter("ids", unknown).getResultList()
                                        .invoke(all -> {
                                            unknown.forEach(id -> purgeValid.put(id, false));
                                            for (PurgeEntity purge : purges) {
                                                List<PurgedEntity> members = all.stream().filter(t -> t.purgeId == purge.id).toList();
                                                purgeValid.put(purge.id, members.size() == purge.records
                                                        && Arrays.equals(RetentionJob.digest(members), purge.digest)
                                                        && signer.verify(purge.id, purge.digest, purge.purgedAt, purge.signature));
                                            }
                                        }))
                                .replaceWithVoid();
                    });
        }

        private Problem check(List<AuditEventEntity> page) {
            for (AuditEventEntity record : page) {
                while (record.seq > expected) {
                    PurgedEntity tombstone = tombstones.get(expected);
                    if (tombstone == null) {
                        return new Problem(expected, null, "missing", "record " + expected + " is missing (the next one is " + record.seq + ")");
                    }
                    if (!purgeValid.getOrDefault(tombstone.purgeId, false)) {
                        return new Problem(expected, null, "missing",
                                "record " + expected + " is gone and its tombstone is not part of a valid signed purge");
                    }
                    previous = tombstone.hash;
                    expected++;
                }
                if (previous == null) {
                    return new Problem(record.seq, record.eventId.toString(), "unlinked",
                            "nothing before this record: neither record " + (record.seq - 1) + " nor an anchor checkpoint");
                }
                if (!Arrays.equals(record.prevHash, previous)) {
                    return new Problem(record.seq, record.eventId.toString(), "unlinked",
                            "does not link to the record before it (reordered, inserted, or its predecessor replaced)");
                }
                if (!Arrays.equals(HashChain.hash(previous, record), record.hash)) {
                    return new Problem(record.seq, record.eventId.toString(), "modified", "its content does not match its hash");
                }
                CheckpointEntity checkpoint = checkpoints.get(record.seq);
                if (checkpoint != null) {
                    if (!Arrays.equals(checkpoint.hash, record.hash)
                            || !signer.verify(checkpoint.seq, checkpoint.hash, checkpoint.signedAt, checkpoint.signature)) {
                        return new Problem(record.seq, record.eventId.toString(), "bad-checkpoint",
                                "the signed checkpoint at this record does not match it: the records up to here were rewritten");
                    }
                    checkedCheckpoints++;
                }
                CheckpointWitness.Witnessed outside = witnesses.outside();
                if (outside != null && outside.seq() == record.seq) {
                    if (!Arrays.equals(outside.hash(), record.hash)) {
                        return new Problem(record.seq, record.eventId.toString(), "bad-checkpoint",
                                "the checkpoint kept outside PostgreSQL (the witness) does not match this record: the records up"
                                        + " to here were rewritten");
                    }
                    checkpoint = checkpoint != null ? checkpoint : new CheckpointEntity();
                }
                sinceCheckpoint = checkpoint != null ? 0 : sinceCheckpoint + 1;
                if (sinceCheckpoint > maxUnsigned) {
                    return new Problem(record.seq, record.eventId.toString(), "missing-checkpoint",
                            "no signed checkpoint in the " + maxUnsigned + " records up to here, where the appender writes one"
                                    + " every " + settings.checkpointEvery() + ": checkpoints were removed");
                }
                lastSigned = checkpoint != null;
                lastRecordedAt = record.recordedAt;
                if (first == null) {
                    first = record.seq;
                }
                last = record.seq;
                previous = record.hash;
                expected++;
                checked++;
            }
            return null;
        }

        /**
         * Records after the last one present, vouched for by a checkpoint (in the database or outside it) or by this
         * instance, were cut off; a tail unsigned for longer than the appender lets one be had its checkpoints removed.
         */
        private Uni<Result> tail() {
            if (!toTail) {
                return Uni.createFrom().item(result(null));
            }
            long present = last == null ? expected - 1 : last;
            CheckpointWitness.Witnessed outside = witnesses.outside();
            if (outside != null && !signer.verify(outside.seq(), outside.hash(), outside.signedAt(), outside.signature())) {
                return Uni.createFrom().item(result(new Problem(outside.seq(), null, "bad-checkpoint",
                        "the checkpoint kept outside PostgreSQL (the witness) is not signed by this service's key")));
            }
            long signedOutside = outside == null ? 0 : outside.seq();
            long witnessed = Math.max(Math.max(witnesses.newestCheckpoint(), witnesses.appended()), signedOutside);
            if (witnessed > present) {
                String by = witnessed == signedOutside ? "a checkpoint kept outside PostgreSQL (the witness)"
                        : witnessed == witnesses.newestCheckpoint() ? "a signed checkpoint" : "this instance's appends";
                return Uni.createFrom().item(result(new Problem(present + 1, null, "truncated",
                        "records " + (present + 1) + " to " + witnessed + " were written (" + by + ") and are gone")));
            }
            Duration quiet = settings.checkpointInterval().multipliedBy(2).plusMinutes(1);
            if (last != null && !lastSigned && witnesses.newestCheckpoint() < last && lastRecordedAt != null
                    && lastRecordedAt.isBefore(Instant.now().minus(quiet))) {
                return Uni.createFrom().item(result(new Problem(last, null, "missing-checkpoint",
                        "the newest record is older than " + quiet + " and no checkpoint covers it: checkpoints were removed")));
            }
            return Uni.createFrom().item(result(null));
        }

        private Result result(Problem problem) {
            return new Result(problem == null, checked, checkedCheckpoints, first, last, problem);
        }
    }
}
