package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static dev.sekisho.audit.AuditIngestTest.jdbc;
import static dev.sekisho.audit.AuditIngestTest.tamper;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sekisho.audit.chain.HashChain;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.CheckpointWitness;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What an insider with access to the database would try. With the service's own kind of database login: the old
 * session setting no longer opens the log, the retention role cannot be taken, checkpoints cannot be deleted. With
 * full control of PostgreSQL (triggers off): a cut tail with its checkpoints and a rewritten record with its hash
 * recomputed are named by verify, by the checkpoint kept outside PostgreSQL, which does not depend on this instance's
 * memory and so holds after a restart too.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class InsiderTest {

    @TestHTTPResource("/")
    URL url;

    @Inject
    CheckpointWitness witness;

    @Inject
    Mutiny.SessionFactory sessions;

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

    /** A login with what an application's database user has on the audit tables, and no more. */
    @Test
    void anInsiderWithTheServicesKindOfLoginCannotDeleteAnything() throws SQLException {
        long seq = ingest.record(event("test.insider")).getSequence();
        String login = "insider_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection admin = jdbc(); var st = admin.createStatement()) {
            st.execute("create role " + login + " login password 'insider-pw'");
            st.execute("grant select, insert, update, delete on audit_event, audit_checkpoint, audit_purge, audit_purged to " + login);
        }
        PostgresServer.Connection c = SharedServers.postgres();
        try (Connection insider = DriverManager.getConnection(c.jdbcUrl(), login, "insider-pw")) {
            insider.setAutoCommit(false);
            var st = insider.createStatement();
            st.execute("set local sekisho.audit_retention = 'on'");
            assertThrows(SQLException.class, () -> st.execute("delete from audit_event where seq = " + seq),
                    "the old session setting opens nothing");
            insider.rollback();
            SQLException role = assertThrows(SQLException.class, () -> st.execute("set role sekisho_audit_retention"));
            assertTrue(role.getMessage().contains("permission denied"), role.getMessage());
            insider.rollback();
            assertThrows(SQLException.class, () -> st.execute("delete from audit_checkpoint"), "checkpoints are never deleted");
            insider.rollback();
        }
        assertEquals(1, AuditIngestTest.count("seq = " + seq));
    }

    @Test
    void aCutTailAndItsCheckpointsAreNamedByTheWitness() throws SQLException {
        List<Long> seqs = witnessedRecords();
        long cut = seqs.get(5);
        tamper("delete from audit_event where seq >= " + cut, "delete from audit_checkpoint where seq >= " + cut);
        Callers.asAuditor().get("/v1/audit/verify?from=" + seqs.get(0)).then().statusCode(200)
                .body("valid", equalTo(false)).body("problem.seq", equalTo((int) cut));
        // after a restart this instance remembers nothing, and new records must not take the cut ones' places
        long next = ingest.record(event("test.insider")).getSequence();
        assertTrue(next > seqs.get(seqs.size() - 1), "the next record continues after the witnessed checkpoint: " + next);
        Callers.asAuditor().get("/v1/audit/verify?from=" + seqs.get(0)).then().statusCode(200)
                .body("valid", equalTo(false)).body("problem.seq", equalTo((int) cut)).body("problem.kind", equalTo("missing"));
    }

    @Test
    void aRewrittenRecordWithItsHashRecomputedAndItsCheckpointRemovedIsNamed() throws SQLException {
        witnessedRecords();
        CheckpointWitness.Witnessed witnessed = witness.read().await().atMost(Duration.ofSeconds(10)).orElseThrow();
        AuditEventEntity record = sessions.withSession(s -> s.find(AuditEventEntity.class, witnessed.seq()))
                .await().atMost(Duration.ofSeconds(10));
        record.reason = "rewritten by an insider";
        byte[] forged = HashChain.hash(record.prevHash, record);
        tamper("update audit_event set reason = 'rewritten by an insider', hash = '\\x" + java.util.HexFormat.of().formatHex(forged)
                + "' where seq = " + witnessed.seq(), "delete from audit_checkpoint where seq = " + witnessed.seq());
        Callers.asAuditor().get("/v1/audit/verify?from=" + Math.max(1, witnessed.seq() - 5) + "&to=" + witnessed.seq()).then()
                .statusCode(200).body("valid", equalTo(false)).body("problem.seq", equalTo((int) witnessed.seq()))
                .body("problem.kind", equalTo("bad-checkpoint")).body("problem.detail", containsString("outside PostgreSQL"));
    }

    /** What docs/security.md tells an auditor to do offline: the published key verifies a checkpoint over an exported record. */
    @Test
    void aCheckpointVerifiesOfflineWithThePublishedKey() throws Exception {
        List<Long> seqs = witnessedRecords();
        String key = Callers.asAuditor().get("/v1/audit/public-key").then().statusCode(200).extract().path("key");
        List<java.util.Map<String, Object>> checkpoints = Callers.asAuditor().get("/v1/audit/checkpoints?from=" + seqs.get(0))
                .then().statusCode(200).extract().path("$");
        assertTrue(!checkpoints.isEmpty(), "checkpoints over the records are listed");
        java.util.Map<String, Object> checkpoint = checkpoints.get(0);
        long seq = ((Number) checkpoint.get("seq")).longValue();
        byte[] message = java.nio.ByteBuffer.allocate(48).putLong(seq).put(java.util.HexFormat.of().parseHex((String) checkpoint.get("hash")))
                .putLong(((Number) checkpoint.get("signedAtMicros")).longValue()).array();
        var verifier = java.security.Signature.getInstance("Ed25519");
        verifier.initVerify(java.security.KeyFactory.getInstance("Ed25519")
                .generatePublic(new java.security.spec.X509EncodedKeySpec(java.util.Base64.getDecoder().decode(key))));
        verifier.update(message);
        assertTrue(verifier.verify(java.util.Base64.getDecoder().decode((String) checkpoint.get("signature"))), "the signature holds");
        String exported = Callers.asAuditor().get("/v1/audit/events/" + eventIdAt(seq)).then().statusCode(200).extract().path("hash");
        assertEquals(checkpoint.get("hash"), exported, "and vouches for the exported record at its sequence number");
    }

    private String eventIdAt(long seq) {
        return sessions.withSession(s -> s.find(AuditEventEntity.class, seq)).await().atMost(Duration.ofSeconds(10)).eventId.toString();
    }

    /** Ten records of this test, and a signed checkpoint over them that the witness holds. */
    private List<Long> witnessedRecords() {
        AuditIngestTest.settle();
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seqs.add(ingest.record(event("test.insider")).getSequence());
        }
        long last = seqs.get(9);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (witness.read().await().atMost(Duration.ofSeconds(10)).map(w -> w.seq()).orElse(0L) < last) {
            assertTrue(System.nanoTime() < deadline, "no checkpoint over the records was witnessed");
            dev.sekisho.testing.servers.Ports.sleep(200);
        }
        return seqs;
    }
}
