package dev.sekisho.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.junit.jupiter.api.Test;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.peers.Outbox;
import dev.sekisho.peers.OutboxDelivery;
import dev.sekisho.peers.OutboxReadiness;
import dev.sekisho.peers.OutboxStore;
import dev.sekisho.peers.SignalDelivery;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.Status;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * A PostgreSQL service's outbox: an event is written in the same transaction as the change it records, so both
 * commit or neither does; the relay delivers each entry once, waits out a peer that is down, and moves what the
 * peer rejects to the dead letters.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
class PostgresOutboxTest {

    /** A peer of this test alone, in process: it can be taken down and brought back. */
    @ApplicationScoped
    static class Peer implements OutboxDelivery {
        static final String STREAM = "test-events";
        static final AtomicBoolean UP = new AtomicBoolean(true);
        static final Map<String, AtomicInteger> RECEIVED = new ConcurrentHashMap<>();

        @Override
        public String stream() {
            return STREAM;
        }

        @Override
        public Uni<Void> deliver(byte[] payload) {
            String text = new String(payload, StandardCharsets.UTF_8);
            if (text.startsWith("poison")) {
                return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription("never valid").asRuntimeException());
            }
            if (!UP.get()) {
                return Uni.createFrom().failure(Status.UNAVAILABLE.asRuntimeException());
            }
            RECEIVED.computeIfAbsent(text, t -> new AtomicInteger()).incrementAndGet();
            return Uni.createFrom().voidItem();
        }
    }

    @Inject
    Outbox outbox;

    @Inject
    OutboxStore store;

    @Inject
    Pool pool;

    @Inject
    @Readiness
    OutboxReadiness readiness;

    @Test
    void theStoreIsPostgres() {
        assertInstanceOf(PostgresOutboxStore.class, store);
    }

    @Test
    void aChangeAndItsEventCommitTogetherOrNotAtAll() throws Throwable {
        long id = System.nanoTime();
        // the transaction fails after both writes: neither the row nor its event is stored
        assertThrows(IllegalStateException.class, () -> VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(
                () -> insertProbe(id, "rolled-back")
                        .chain(() -> outbox.put(Peer.STREAM, ("rolled-back-" + id).getBytes(StandardCharsets.UTF_8)))
                        .chain(() -> Uni.createFrom().failure(new IllegalStateException("killed between the change and the commit"))))));
        assertEquals(0, count("select count(*) from probe where id = $1", id));
        assertEquals(0, count("select count(*) from sekisho_outbox where encode(payload, 'escape') = $1", "rolled-back-" + id));

        // the same, committed: both are there, and the event is delivered
        Peer.UP.set(true);
        VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> insertProbe(id, "committed")
                .chain(() -> outbox.put(Peer.STREAM, ("committed-" + id).getBytes(StandardCharsets.UTF_8)))));
        assertEquals(1, count("select count(*) from probe where id = $1", id));
        await(() -> Peer.RECEIVED.containsKey("committed-" + id), "the committed event is delivered");
        assertTrue(!Peer.RECEIVED.containsKey("rolled-back-" + id), "the rolled-back event never is");
    }

    @Test
    void deliveryResumesWhenThePeerIsBackAndNothingIsDeliveredTwice() throws Throwable {
        String run = "resume-" + System.nanoTime() + "-";
        Peer.UP.set(false);
        try {
            for (int i = 0; i < 25; i++) {
                byte[] payload = (run + i).getBytes(StandardCharsets.UTF_8);
                VertxContextSupport.subscribeAndAwait(() -> outbox.put(Peer.STREAM, payload));
            }
            relayPasses(3); // the peer is down: every attempt fails, every entry stays
            assertEquals(25, count("select count(*) from sekisho_outbox where encode(payload, 'escape') like $1", run + "%"));
            assertTrue(Peer.RECEIVED.keySet().stream().noneMatch(k -> k.startsWith(run)));
        } finally {
            Peer.UP.set(true);
        }
        await(() -> Peer.RECEIVED.keySet().stream().filter(k -> k.startsWith(run)).count() == 25, "all 25 delivered");
        relayPasses(3);
        assertTrue(Peer.RECEIVED.entrySet().stream().filter(e -> e.getKey().startsWith(run))
                .allMatch(e -> e.getValue().get() == 1), "each entry delivered exactly once: " + Peer.RECEIVED);
        assertEquals(0, count("select count(*) from sekisho_outbox where encode(payload, 'escape') like $1", run + "%"));
    }

    @Test
    void anEntryThePeerRejectsGoesToTheDeadLettersAndDoesNotHoldUpTheRest() throws Throwable {
        String run = "-" + System.nanoTime();
        VertxContextSupport.subscribeAndAwait(() -> outbox.put(Peer.STREAM, ("poison" + run).getBytes(StandardCharsets.UTF_8)));
        VertxContextSupport.subscribeAndAwait(() -> outbox.put(Peer.STREAM, ("fine" + run).getBytes(StandardCharsets.UTF_8)));
        await(() -> Peer.RECEIVED.containsKey("fine" + run), "the entry behind the poison is delivered");
        await(() -> count("select count(*) from sekisho_outbox_dead where encode(payload, 'escape') = $1 and reason like $2",
                "poison" + run, "%never valid") == 1, "the poison is a dead letter with its reason");
        assertEquals(0, count("select count(*) from sekisho_outbox where encode(payload, 'escape') = $1", "poison" + run));

        // nothing is dead-lettered unseen: alert-service hears of it, and readiness shows it
        await(() -> signalsWaiting().stream().anyMatch(signal -> signal.getKind().equals("outbox.dead_lettered")
                && signal.getLabelsMap().get("stream").equals(Peer.STREAM)), "the dead letter is signalled");
        HealthCheckResponse ready = readiness.call().await().atMost(Duration.ofSeconds(10));
        assertEquals(HealthCheckResponse.Status.UP, ready.getStatus());
        assertTrue(((Number) ready.getData().orElseThrow().get(Peer.STREAM + ".dead_letters")).longValue() >= 1, ready.getData().toString());
    }

    private List<SecuritySignal> signalsWaiting() {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> outbox.waiting(SignalDelivery.STREAM, 10_000)).stream()
                    .map(bytes -> {
                        try {
                            return SecuritySignal.parseFrom(bytes);
                        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                            throw new IllegalStateException(e);
                        }
                    }).toList();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private Uni<Integer> insertProbe(long id, String name) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("insert into probe (id, name) values (?1, ?2)")
                .setParameter(1, id).setParameter(2, name).executeUpdate());
    }

    private long count(String sql, Object... parameters) {
        return pool.preparedQuery(sql).execute(Tuple.from(List.of(parameters))).map(rows -> rows.iterator().next().getLong(0))
                .await().atMost(Duration.ofSeconds(10));
    }

    private void relayPasses(int passes) throws Throwable {
        for (int i = 0; i < passes; i++) {
            VertxContextSupport.subscribeAndAwait(() -> outbox.relay());
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Ports.sleep(100);
        }
    }
}
