package dev.sekisho.secrets.service;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Last-used times and counts of secrets and API keys, written behind: a read or a verification adds to an in-memory
 * tally (keyed only by secrets and keys that exist, so bounded by them), and {@link #flush} writes one aggregated
 * update per item at least every {@code sekisho.secrets.usage-flush-interval} and at shutdown. A read never becomes a
 * row update of its own; a tally that could not be written is kept for the next flush.
 */
@ApplicationScoped
public class UsageTracker {

    private static final Logger LOG = Logger.getLogger(UsageTracker.class);

    private static final class Tally {
        final LongAdder count = new LongAdder();
        volatile Instant last;

        void add(Instant at) {
            count.increment();
            if (last == null || at.isAfter(last)) {
                last = at;
            }
        }
    }

    private final Map<String, Tally> secrets = new ConcurrentHashMap<>();
    private final Map<String, Tally> keys = new ConcurrentHashMap<>();

    @Inject
    Pool pool;

    public void secretRead(String path, Instant at) {
        secrets.computeIfAbsent(path, p -> new Tally()).add(at);
    }

    public void keyUsed(String id, Instant at) {
        keys.computeIfAbsent(id, k -> new Tally()).add(at);
    }

    @Scheduled(every = "${sekisho.secrets.usage-flush-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> flush() {
        return write(secrets, "update secret set read_count = read_count + $1, last_read_at = greatest(last_read_at, $2) where path = $3")
                .chain(() -> write(keys, "update api_key set use_count = use_count + $1, last_used_at = greatest(last_used_at, $2) where id = $3"));
    }

    void onStop(@Observes ShutdownEvent event) {
        try {
            flush().await().atMost(java.time.Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("usage counts of the last interval were not written: %s", e.getClass().getSimpleName());
        }
    }

    private Uni<Void> write(Map<String, Tally> tallies, String sql) {
        if (tallies.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        java.util.List<Tuple> batch = new java.util.ArrayList<>();
        Map<String, long[]> taken = new java.util.HashMap<>();
        for (String id : java.util.List.copyOf(tallies.keySet())) {
            Tally tally = tallies.remove(id);
            if (tally == null) {
                continue;
            }
            long count = tally.count.sumThenReset();
            batch.add(Tuple.of(count, tally.last.atOffset(java.time.ZoneOffset.UTC), id));
            taken.put(id, new long[] {count, tally.last.toEpochMilli()});
        }
        return pool.preparedQuery(sql).executeBatch(batch).replaceWithVoid().onFailure().invoke(e -> {
            LOG.warnf("usage counts not written, kept for the next flush: %s", e.getClass().getSimpleName());
            taken.forEach((id, t) -> {
                Tally back = tallies.computeIfAbsent(id, k -> new Tally());
                back.count.add(t[0]);
                back.add(Instant.ofEpochMilli(t[1]));
                back.count.decrement(); // add() counted one more
            });
        }).onFailure().recoverWithNull().replaceWithVoid();
    }
}
