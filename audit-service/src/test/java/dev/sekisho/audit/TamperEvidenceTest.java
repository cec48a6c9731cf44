package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static dev.sekisho.audit.AuditIngestTest.tamper;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/**
 * Someone with full access to PostgreSQL (triggers switched off) changes history; verify names the exact
 * first bad record each time. Each scenario works on ten records of its own and verifies that range.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class TamperEvidenceTest {

    @TestHTTPResource("/")
    URL url;

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

    @Test
    void anUntouchedRangeIsValid() throws SQLException {
        List<Long> seqs = tenRecords();
        // the ten, and any read of another test that the outbox appended in between
        verify(seqs).body("valid", equalTo(true))
                .body("checkedRecords", equalTo((int) AuditIngestTest.count("seq between " + seqs.get(0) + " and " + seqs.get(9))));
    }

    @Test
    void aModifiedRecordIsNamed() throws SQLException {
        List<Long> seqs = tenRecords();
        tamper("update audit_event set actor_id = 'mallory' where seq = " + seqs.get(4));
        verify(seqs).body("valid", equalTo(false)).body("problem.seq", equalTo(seqs.get(4).intValue()))
                .body("problem.kind", equalTo("modified"));
    }

    /** The walk reads the log a page at a time; a problem on a full page must end it, not repeat the page. */
    @Test
    void aModifiedRecordInARangeOfSeveralPagesIsNamed() throws Exception {
        AuditIngestTest.Streamed streamed = AuditIngestTest.stream(channel, 4, 3_000, "test.pages");
        assertEquals(List.of(), streamed.failures());
        List<Long> seqs = streamed.acked().stream().sorted().toList();
        assertEquals(12_000, seqs.size());
        long modified = seqs.get(1_234);
        tamper("update audit_event set reason = 'edited' where seq = " + modified);
        verify(seqs).body("valid", equalTo(false)).body("problem.seq", equalTo((int) modified))
                .body("problem.kind", equalTo("modified"));
    }

    @Test
    void aDeletedRecordIsNamed() throws SQLException {
        List<Long> seqs = tenRecords();
        tamper("delete from audit_event where seq = " + seqs.get(6));
        verify(seqs).body("valid", equalTo(false)).body("problem.seq", equalTo(seqs.get(6).intValue()))
                .body("problem.kind", equalTo("missing"));
    }

    @Test
    void reorderedRecordsAreNamed() throws SQLException {
        List<Long> seqs = tenRecords();
        long a = seqs.get(3);
        long b = seqs.get(4);
        // swap the two rows' positions in the chain
        tamper("update audit_event set seq = -1 where seq = " + a,
                "update audit_event set seq = " + a + " where seq = " + b,
                "update audit_event set seq = " + b + " where seq = -1");
        verify(seqs).body("valid", equalTo(false)).body("problem.seq", equalTo((int) a)).body("problem.kind", equalTo("unlinked"));
    }

    @Test
    void anInsertedRecordIsNamed() throws SQLException {
        List<Long> seqs = tenRecords();
        long at = seqs.get(5);
        // make room after record 5 and slip a forged copy of it in, with a plausible hash
        tamper("update audit_event set seq = seq + 1000000 where seq > " + at + " and seq <= " + seqs.get(9),
                "update audit_event set seq = seq - 1000000 + 1 where seq > 1000000 + " + at,
                "insert into audit_event select " + (at + 1) + ", gen_random_uuid(), occurred_at, recorded_at, actor_type, "
                        + "'mallory', actor_ip, actor_user_agent, actor_client_id, action, resource_type, resource_id, outcome, "
                        + "reason, service, trace_id, attributes, hash, hash from audit_event where seq = " + at);
        verify(seqs).body("valid", equalTo(false)).body("problem.seq", equalTo((int) at + 1));
    }

    @Test
    void aCutOffTailIsDetected() throws SQLException {
        List<Long> seqs = tenRecords();
        tamper("delete from audit_event where seq > " + seqs.get(7));
        Callers.asAuditor().get("/v1/audit/verify?from=" + seqs.get(0)).then().statusCode(200)
                .body("valid", equalTo(false)).body("problem.kind", equalTo("truncated"))
                .body("problem.seq", equalTo(seqs.get(8).intValue()));
    }

    @Test
    void thePublicKeyIsPublished() {
        Callers.asAuditor().get("/v1/audit/public-key").then().statusCode(200)
                .body("algorithm", equalTo("Ed25519")).body("key", notNullValue());
    }

    @Test
    void aBadRangeIsAProblem() {
        Callers.asAuditor().get("/v1/audit/verify?from=10&to=2").then().statusCode(400).contentType("application/problem+json");
    }

    private List<Long> tenRecords() {
        AuditIngestTest.settle();
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seqs.add(ingest.record(event("secret.read")).getSequence());
        }
        return seqs;
    }

    private static ValidatableResponse verify(List<Long> seqs) {
        return Callers.asAuditor().queryParam("from", seqs.get(0)).queryParam("to", seqs.get(seqs.size() - 1))
                .get("/v1/audit/verify").then().statusCode(200);
    }
}
