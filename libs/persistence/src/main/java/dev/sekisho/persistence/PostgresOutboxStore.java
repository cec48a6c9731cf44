package dev.sekisho.persistence;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.OutboxStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The outbox of a service whose data is in PostgreSQL (table {@code sekisho_outbox}, migration
 * {@code db/sekisho-outbox}): {@link #put} inserts the entry through the caller's Hibernate Reactive session, so that
 * inside {@code @WithTransaction} (or {@code Panache.withTransaction}) the change and its audit event or signal commit
 * together or not at all; called outside a transaction, it commits on its own. The relay works on the reactive pool:
 * {@code FOR UPDATE SKIP LOCKED} hands each entry to one instance, and an entry held past {@code claim-after} by an
 * instance that stopped is taken over by another. Being a plain bean, it replaces libs/peers' Redis default wherever
 * libs/persistence is on the classpath.
 */
@ApplicationScoped
public class PostgresOutboxStore implements OutboxStore {

    static final String INSERT = "insert into sekisho_outbox (stream, payload) values (?1, ?2)";
    private static final String CLAIM = """
            update sekisho_outbox set claimed_by = $1, claimed_at = now(), attempts = attempts + 1
             where id in (select id from sekisho_outbox
                           where stream = $2
                             and (claimed_by is null or claimed_by = $1 or claimed_at < now() - make_interval(secs => $3))
                           order by id limit $4
                           for update skip locked)
            returning id, payload""";
    private static final String SETTLE = "delete from sekisho_outbox where id = any($1)";
    private static final String DEAD_LETTER = """
            with moved as (delete from sekisho_outbox where id = $1 returning id, stream, payload, created_at)
            insert into sekisho_outbox_dead (id, stream, payload, created_at, reason)
            select id, stream, payload, created_at, $2 from moved""";
    private static final String BACKLOG = """
            select count(*) as entries, coalesce(extract(epoch from now() - min(created_at)), 0) as oldest_seconds
              from sekisho_outbox where stream = $1""";
    private static final String DEAD_LETTERS = "select count(*) as entries from sekisho_outbox_dead where stream = $1";
    private static final String WAITING = "select payload from sekisho_outbox where stream = $1 order by id limit $2";

    @Inject
    Pool pool;

    /**
     * Through the caller's session: inside its transaction the entry joins it; outside one, it is a single INSERT
     * on the session's connection that commits by itself (one round trip rather than BEGIN, INSERT, COMMIT, and never
     * a second connection while the session holds one: a read that records who read what pays only this).
     */
    @Override
    public Uni<Void> put(String stream, byte[] payload) {
        return Panache.withSession(() -> Panache.getSession().flatMap(session -> session.createNativeQuery(INSERT)
                .setParameter(1, stream).setParameter(2, payload).executeUpdate())).replaceWithVoid();
    }

    @Override
    public Uni<List<Entry>> claim(String stream, String consumer, int max, Duration claimAfter) {
        return pool.preparedQuery(CLAIM).execute(Tuple.of(consumer, stream, claimAfter.toMillis() / 1000.0, max))
                .map(rows -> {
                    List<Entry> entries = new ArrayList<>();
                    for (Row row : rows) {
                        entries.add(new Entry(String.valueOf(row.getLong("id")), row.getBuffer("payload").getBytes()));
                    }
                    entries.sort(Comparator.comparingLong(e -> Long.parseLong(e.id())));
                    return entries;
                });
    }

    @Override
    public Uni<Void> settle(String stream, List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Long[] keys = ids.stream().map(Long::valueOf).toArray(Long[]::new);
        return pool.preparedQuery(SETTLE).execute(Tuple.of(keys)).replaceWithVoid();
    }

    @Override
    public Uni<Void> deadLetter(String stream, Entry entry, String reason) {
        return pool.preparedQuery(DEAD_LETTER).execute(Tuple.of(Long.valueOf(entry.id()), String.valueOf(reason))).replaceWithVoid();
    }

    @Override
    public Uni<Backlog> backlog(String stream) {
        return pool.preparedQuery(BACKLOG).execute(Tuple.of(stream)).map(rows -> {
            Row row = rows.iterator().next();
            return new Backlog(row.getLong("entries"), Duration.ofMillis((long) (row.getDouble("oldest_seconds") * 1000)));
        });
    }

    @Override
    public Uni<Long> deadLetters(String stream) {
        return pool.preparedQuery(DEAD_LETTERS).execute(Tuple.of(stream)).map(rows -> rows.iterator().next().getLong("entries"));
    }

    @Override
    public Uni<List<byte[]>> waiting(String stream, int max) {
        return pool.preparedQuery(WAITING).execute(Tuple.of(stream, max)).map(rows -> {
            List<byte[]> payloads = new ArrayList<>();
            rows.forEach(row -> payloads.add(row.getBuffer("payload").getBytes()));
            return payloads;
        });
    }
}
