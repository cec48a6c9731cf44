package dev.sekisho.audit;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.google.protobuf.Timestamp;

import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.AuditAppender;
import dev.sekisho.peers.AuditDelivery;
import dev.sekisho.peers.Outbox;
import dev.sekisho.audit.v1.Actor;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.audit.v1.RecordAck;
import dev.sekisho.audit.v1.RecordBatchAck;
import dev.sekisho.audit.v1.Resource;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.servers.SharedServers;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Ingest over gRPC into the real PostgreSQL: idempotent, append-only, validated, masked, chained. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class AuditIngestTest {

    @TestHTTPResource("/")
    URL url;

    @Inject
    AuditAppender appender;

    @Inject
    dev.sekisho.audit.chain.CheckpointSigner signer;

    ManagedChannel channel;
    AuditIngestGrpc.AuditIngestBlockingStub ingest;

    @BeforeEach
    void connect() {
        channel = Callers.asService(url);
        ingest = AuditIngestGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    static AuditEvent event(String action) {
        Instant now = Instant.now();
        return AuditEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setActor(Actor.newBuilder().setType(ActorType.ACTOR_TYPE_USER).setId("alice").setIp("198.51.100.7"))
                .setAction(action)
                .setResource(Resource.newBuilder().setType("secret").setId("payments/stripe"))
                .setOutcome(Outcome.OUTCOME_SUCCESS)
                .setService("secrets-service")
                .putAttributes("path", "payments/stripe")
                .build();
    }

    @Test
    void theSameEventSentThreeTimesIsStoredOnce() throws Exception {
        AuditEvent event = event("secret.read");
        RecordAck first = ingest.record(event);
        RecordAck again = ingest.record(event);
        assertEquals(first.getSequence(), again.getSequence());
        assertTrue(again.getDuplicate());

        AuditEvent concurrent = event("secret.read");
        List<Thread> threads = new ArrayList<>();
        Set<Long> sequences = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 3; i++) {
            threads.add(Thread.startVirtualThread(() -> sequences.add(ingest.record(concurrent).getSequence())));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, sequences.size(), "one sequence for one event id");
        assertEquals(1, count("event_id = '" + concurrent.getEventId() + "'"));
    }

    /** Finding: any service identity could record events in another service's name. */
    @Test
    void theEmittingServiceIsTheCallersVerifiedIdentityNotWhatThePayloadClaims() throws Exception {
        ManagedChannel ratelimit = Callers.withToken(url, KeycloakTokens.service("ratelimit"));
        try {
            AuditEvent forged = event("auth.user.disabled").toBuilder().setService("auth-service").build();
            AuditIngestGrpc.newBlockingStub(ratelimit).record(forged);
            assertEquals(1, count("event_id = '" + forged.getEventId() + "' and service = 'ratelimit-service'"));
            assertEquals(0, count("event_id = '" + forged.getEventId() + "' and service = 'auth-service'"));
        } finally {
            ratelimit.shutdownNow();
        }
    }

    @Test
    void badEventsAreRefusedAndStoreNothing() throws Exception {
        long before = count("action <> 'audit.read'"); // reads elsewhere are appended by the relay meanwhile
        AuditEvent valid = event("secret.read");
        assertInvalid(valid.toBuilder().clearEventId().build());
        assertInvalid(valid.toBuilder().setEventId("not-a-uuid").build());
        assertInvalid(valid.toBuilder().setOccurredAt(Timestamp.newBuilder().setSeconds(Instant.now().plusSeconds(3600).getEpochSecond())).build());
        assertInvalid(valid.toBuilder().clearOccurredAt().build());
        assertInvalid(valid.toBuilder().setActor(valid.getActor().toBuilder().setTypeValue(99)).build());
        assertInvalid(valid.toBuilder().setActor(valid.getActor().toBuilder().clearId()).build()); // a user without an id
        assertInvalid(valid.toBuilder().setOutcomeValue(42).build());
        assertInvalid(valid.toBuilder().setAction("Not A Dotted Name").build());
        assertInvalid(valid.toBuilder().putAttributes("blob", "x".repeat(1_000_000)).build());
        // PostgreSQL text cannot hold NUL: refused alone, rather than failing the batch it would share with others
        assertInvalid(valid.toBuilder().setReason("before\u0000after").build());
        assertInvalid(valid.toBuilder().putAttributes("note", "a\u0000b").build());
        assertEquals(before, count("action <> 'audit.read'"));
    }

    @Test
    void anAnonymousActorsRecordIsKeptWithoutAnId() throws Exception {
        // what auth-service records for a refused refresh or a gateway denial without credentials
        AuditEvent event = event("auth.token.refresh-failed").toBuilder()
                .setActor(Actor.newBuilder().setType(ActorType.ACTOR_TYPE_ANONYMOUS).setIp("198.51.100.9")).build();
        assertTrue(ingest.record(event).getSequence() > 0);
        assertEquals(1, count("event_id = '" + event.getEventId() + "' and actor_type = 'anonymous' and actor_id = ''"));
    }

    @Test
    void secretLookingAttributesAreMaskedBeforeStorage() throws Exception {
        AuditEvent event = event("auth.login.failed").toBuilder()
                .putAttributes("password", "hunter2").putAttributes("Authorization", "Bearer abc.def")
                .putAttributes("otp_code", "123456").putAttributes("username", "alice").build();
        ingest.record(event);
        try (Connection db = jdbc(); var rs = db.createStatement().executeQuery(
                "select attributes::text from audit_event where event_id = '" + event.getEventId() + "'")) {
            assertTrue(rs.next());
            String stored = rs.getString(1);
            assertTrue(stored.contains("\"password\": \"***\""), stored);
            assertTrue(stored.contains("\"Authorization\": \"***\""), stored);
            assertTrue(stored.contains("\"otp_code\": \"***\""), stored);
            assertTrue(stored.contains("\"username\": \"alice\""), stored);
            assertTrue(!stored.contains("hunter2") && !stored.contains("abc.def") && !stored.contains("123456"), stored);
        }
    }

    @Test
    void theDatabaseRefusesToChangeHistory() throws Exception {
        long seq = ingest.record(event("policy.changed")).getSequence();
        try (Connection db = jdbc()) {
            SQLException update = assertThrows(SQLException.class,
                    () -> db.createStatement().executeUpdate("update audit_event set actor_id = 'mallory' where seq = " + seq));
            assertTrue(update.getMessage().contains("append-only"), update.getMessage());
            assertThrows(SQLException.class, () -> db.createStatement().executeUpdate("delete from audit_event where seq = " + seq));
            assertThrows(SQLException.class, () -> db.createStatement().executeUpdate("truncate audit_event"));
        }
    }

    @Test
    void eightConcurrentStreamsOfTenThousandStoreEightyThousandWithAValidChain() throws Exception {
        long firstSeq = ingest.record(event("test.marker")).getSequence() + 1;
        Streamed streamed = stream(8, 10_000, "test.stream");
        assertEquals(List.of(), streamed.failures());
        assertEquals(80_000, streamed.acked().size());
        long lastSeq = streamed.acked().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertEquals(80_000, count("action = 'test.stream' and seq between " + firstSeq + " and " + lastSeq));
        // every record in the range, the streams' and any other test's reads the outbox appended meanwhile
        assertValidChain(firstSeq, lastSeq, (int) count("seq between " + firstSeq + " and " + lastSeq));
    }

    /**
     * A second audit-service instance appends (under the same lock, onto the tail it reads) while this one streams:
     * batches this instance linked ahead find the tail moved and are linked again, and the chain stays one.
     */
    @Test
    void anotherInstanceAppendingBetweenBatchesLeavesOneValidChain() throws Exception {
        long firstSeq = ingest.record(event("test.marker")).getSequence() + 1;
        long relinkedBefore = appender.relinked();
        AtomicBoolean streaming = new AtomicBoolean(true);
        AtomicInteger foreign = new AtomicInteger();
        List<Throwable> otherFailed = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread other = Thread.startVirtualThread(() -> {
            try (Connection db = jdbc()) {
                db.setAutoCommit(false);
                while (streaming.get()) {
                    appendAsAnotherInstance(db);
                    foreign.incrementAndGet();
                }
            } catch (SQLException e) {
                otherFailed.add(e);
            }
        });
        Streamed streamed = stream(8, 5_000, "test.interleaved");
        streaming.set(false);
        other.join();

        assertEquals(List.of(), streamed.failures());
        assertEquals(List.of(), otherFailed);
        assertEquals(40_000, streamed.acked().size());
        assertTrue(foreign.get() > 0, "the other instance appended nothing");
        assertTrue(appender.relinked() > relinkedBefore, "no batch linked ahead met the other instance's records");
        long lastSeq;
        try (Connection db = jdbc(); var rs = db.createStatement().executeQuery("select max(seq) from audit_event where action = 'test.foreign'")) {
            rs.next();
            lastSeq = Math.max(rs.getLong(1), streamed.acked().stream().mapToLong(Long::longValue).max().orElseThrow());
        }
        assertEquals(40_000, count("action = 'test.interleaved' and seq between " + firstSeq + " and " + lastSeq));
        assertEquals(foreign.get(), count("action = 'test.foreign' and seq between " + firstSeq + " and " + lastSeq));
        assertValidChain(firstSeq, lastSeq, (int) count("seq between " + firstSeq + " and " + lastSeq));
    }

    /**
     * What another instance's appender does for one event: lock, read the tail, link onto it, insert, sign a checkpoint
     * over it with the shared key (more often than a real one, never less), commit.
     */
    private void appendAsAnotherInstance(Connection db) throws SQLException {
        try (var statement = db.createStatement()) {
            statement.execute("select pg_advisory_xact_lock(" + AuditAppender.APPEND_LOCK + ")");
            AuditEventEntity record = new AuditEventEntity();
            try (var rs = statement.executeQuery("select seq, hash from audit_event order by seq desc limit 1")) {
                rs.next();
                record.seq = rs.getLong(1) + 1;
                record.prevHash = rs.getBytes(2);
            }
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            record.eventId = UUID.randomUUID();
            record.occurredAt = now;
            record.recordedAt = now;
            record.actorType = "service";
            record.actorId = "other-instance";
            record.actorIp = record.actorUserAgent = record.actorClientId = "";
            record.action = "test.foreign";
            record.resourceType = record.resourceId = record.reason = record.traceId = "";
            record.outcome = "success";
            record.service = "audit-test";
            record.attributes = Map.of("instance", "second");
            record.hash = HashChain.hash(record.prevHash, record);
            try (var insert = db.prepareStatement("insert into audit_event (seq, event_id, occurred_at, recorded_at, actor_type, "
                    + "actor_id, action, outcome, service, attributes, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)")) {
                insert.setLong(1, record.seq);
                insert.setObject(2, record.eventId);
                insert.setObject(3, record.occurredAt.atOffset(ZoneOffset.UTC));
                insert.setObject(4, record.recordedAt.atOffset(ZoneOffset.UTC));
                insert.setString(5, record.actorType);
                insert.setString(6, record.actorId);
                insert.setString(7, record.action);
                insert.setString(8, record.outcome);
                insert.setString(9, record.service);
                insert.setString(10, "{\"instance\": \"second\"}");
                insert.setBytes(11, record.prevHash);
                insert.setBytes(12, record.hash);
                insert.executeUpdate();
            }
            try (var checkpoint = db.prepareStatement("insert into audit_checkpoint (seq, hash, signed_at, key_id, signature, anchor)"
                    + " values (?, ?, ?, ?, ?, false)")) {
                checkpoint.setLong(1, record.seq);
                checkpoint.setBytes(2, record.hash);
                checkpoint.setObject(3, now.atOffset(ZoneOffset.UTC));
                checkpoint.setString(4, signer.keyId());
                checkpoint.setBytes(5, signer.sign(record.seq, record.hash, now));
                checkpoint.executeUpdate();
            }
            db.commit();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    record Streamed(List<Throwable> failures, Set<Long> acked) {
    }

    private Streamed stream(int streams, int each, String action) throws InterruptedException {
        return stream(channel, streams, each, action);
    }

    /** {@code streams} concurrent RecordStream calls of {@code each} new events; returns once all have ended. */
    /**
     * Waits until audit-service's own events (reads of the log, relayed through its outbox about a second later) are
     * in the chain, so that a test's consecutive appends are not interleaved with another test's reads.
     */
    static void settle() {
        Outbox outbox = io.quarkus.arc.Arc.container().instance(Outbox.class).get();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        while (outbox.pending(AuditDelivery.STREAM).await().atMost(java.time.Duration.ofSeconds(5)) > 0) {
            assertTrue(System.nanoTime() < deadline, "audit-service's own events were not appended within 20 s");
            dev.sekisho.testing.servers.Ports.sleep(100);
        }
    }

    static Streamed stream(ManagedChannel channel, int streams, int each, String action) throws InterruptedException {
        settle();
        CountDownLatch done = new CountDownLatch(streams);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Set<Long> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AuditIngestGrpc.AuditIngestStub async = AuditIngestGrpc.newStub(channel);
        for (int s = 0; s < streams; s++) {
            StreamObserver<AuditEvent> requests = async.recordStream(new StreamObserver<>() {
                @Override
                public void onNext(RecordBatchAck batch) {
                    batch.getAcksList().forEach(a -> acked.add(a.getSequence()));
                }

                @Override
                public void onError(Throwable t) {
                    failures.add(t);
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    done.countDown();
                }
            });
            for (int i = 0; i < each; i++) {
                requests.onNext(event(action));
            }
            requests.onCompleted();
        }
        assertTrue(done.await(300, TimeUnit.SECONDS), "streams did not finish");
        return new Streamed(failures, acked);
    }

    private static void assertValidChain(long firstSeq, long lastSeq, int records) {
        Callers.asAuditor().queryParam("from", firstSeq).queryParam("to", lastSeq).get("/v1/audit/verify").then().log().ifValidationFails()
                .statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(records));
    }

    private void assertInvalid(AuditEvent event) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ingest.record(event));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    }

    static long count(String where) throws SQLException {
        try (Connection db = jdbc(); var rs = db.createStatement().executeQuery("select count(*) from audit_event where " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** As a database superuser who switched the append-only triggers off for the session (the tampering tests). */
    static void tamper(String... statements) throws SQLException {
        try (Connection db = jdbc(); var st = db.createStatement()) {
            st.execute("set session_replication_role = replica");
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    static Connection jdbc() throws SQLException {
        PostgresServer.Connection c = SharedServers.postgres();
        return DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password());
    }
}
