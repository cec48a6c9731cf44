package dev.sekisho.peers;

import java.time.Duration;
import java.util.List;

import io.smallrye.mutiny.Uni;

/**
 * Where a service's outbox keeps entries until their peer acknowledged them: in the store that holds the service's
 * own data, so that an entry is as durable as the change it records. Redis services use {@link RedisOutboxStore};
 * PostgreSQL services get libs/persistence's store, which writes the entry in the caller's transaction. The relay,
 * claiming, retries, dead letters and metrics are the same for both ({@link Outbox}).
 */
public interface OutboxStore {

    /** One stored entry: its id in the store and the bytes that were put. */
    record Entry(String id, byte[] payload) {
    }

    /** What a stream holds: entries waiting, and how long the oldest has waited. */
    record Backlog(long entries, Duration oldest) {
        public static final Backlog EMPTY = new Backlog(0, Duration.ZERO);
    }

    /** Stores an entry; completes once it is durable (in the caller's transaction where the store has them). */
    Uni<Void> put(String stream, byte[] payload);

    /**
     * Up to {@code max} entries for {@code consumer} to deliver now, oldest first: those it holds already (a failed
     * attempt), those another consumer has held for longer than {@code claimAfter} (it stopped), then new ones.
     * An entry is held by one consumer at a time.
     */
    Uni<List<Entry>> claim(String stream, String consumer, int max, Duration claimAfter);

    /** The peer acknowledged these entries: they are removed. */
    Uni<Void> settle(String stream, List<String> ids);

    /** The peer rejected the entry itself: it moves to the stream's dead letters, with the reason. */
    Uni<Void> deadLetter(String stream, Entry entry, String reason);

    Uni<Backlog> backlog(String stream);

    /** How many entries of the stream were dead-lettered (kept for operators, never retried). */
    Uni<Long> deadLetters(String stream);

    /** Up to {@code max} entries still waiting, oldest first, as they were put (for operators and tests). */
    Uni<List<byte[]>> waiting(String stream, int max);
}
