package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.google.protobuf.Timestamp;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Retention removes what is past its period (here: test.retention after one hour) and the rest of the chain
 * still verifies; a deletion dressed up as retention does not.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class RetentionTest {

    @TestHTTPResource("/")
    URL url;

    @Test
    void expiredRecordsGoAndTheRetainedChainStillVerifies() throws SQLException {
        List<Long> all = new ArrayList<>();
        List<Long> kept = new ArrayList<>();
        var channel = Callers.asService(url);
        AuditIngestTest.settle();
        try {
            var ingest = AuditIngestGrpc.newBlockingStub(channel);
            Instant twoHoursAgo = Instant.now().minusSeconds(7200);
            for (int i = 0; i < 4; i++) {
                AuditEvent old = event("test.retention.old").toBuilder()
                        .setOccurredAt(Timestamp.newBuilder().setSeconds(twoHoursAgo.getEpochSecond())).build();
                all.add(ingest.record(old).getSequence());
                long keep = ingest.record(event("secret.read")).getSequence();
                all.add(keep);
                kept.add(keep);
            }
        } finally {
            channel.shutdownNow();
        }
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        given().auth().oauth2(operator).post("/v1/audit/retention/run").then().statusCode(403);

        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        given().auth().oauth2(admin).post("/v1/audit/retention/run").then().statusCode(200).body("purged", equalTo(4));
        assertEquals(0, AuditIngestTest.count("action = 'test.retention.old' and seq between " + all.get(0) + " and " + all.get(7)));

        Callers.asAuditor().queryParam("from", all.get(0)).queryParam("to", all.get(7)).get("/v1/audit/verify").then()
                .statusCode(200).body("valid", equalTo(true))
                // the 4 kept, and any read of another test that the outbox appended in between
                .body("checkedRecords", equalTo((int) AuditIngestTest.count("seq between " + all.get(0) + " and " + all.get(7))));

        // now delete a record that had not expired, and forge a tombstone for it in the same purge
        long victim = kept.get(1);
        try (Connection db = AuditIngestTest.jdbc(); var st = db.createStatement()) {
            st.execute("set session_replication_role = replica");
            st.execute("insert into audit_purged select seq, hash, (select max(id) from audit_purge) from audit_event where seq = " + victim);
            st.execute("delete from audit_event where seq = " + victim);
        }
        // the forged tombstone breaks the purge's signed digest: its first record is named, the purge is untrusted
        Callers.asAuditor().queryParam("from", all.get(0)).queryParam("to", all.get(7)).get("/v1/audit/verify").then()
                .statusCode(200).body("valid", equalTo(false)).body("problem.seq", equalTo(all.get(0).intValue()))
                .body("problem.kind", equalTo("missing"))
                .body("problem.detail", org.hamcrest.Matchers.containsString("not part of a valid signed purge"));
    }
}
