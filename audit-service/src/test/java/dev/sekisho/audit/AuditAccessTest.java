package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Only auditors and admins read the log, only services write it, and every read is itself recorded. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class AuditAccessTest {

    @TestHTTPResource("/")
    URL url;

    @Test
    void readingNeedsTheAuditorOrAdminRole() {
        given().get("/v1/audit/events").then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2("not.a.token").get("/v1/audit/events").then().statusCode(401);
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        given().auth().oauth2(operator).get("/v1/audit/events").then().statusCode(403).contentType("application/problem+json");
        given().auth().oauth2(KeycloakTokens.service("ratelimit")).get("/v1/audit/verify").then().statusCode(403);
        Callers.asAuditor().get("/v1/audit/events").then().statusCode(200);
        // Finding: a password-only token straight from Keycloak (bob has no TOTP) read the audit log
        String passwordOnly = KeycloakTokens.user(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null);
        given().auth().oauth2(passwordOnly).get("/v1/audit/events").then().statusCode(401)
                .contentType("application/problem+json");
        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        given().auth().oauth2(admin).get("/v1/audit/events?limit=1").then().statusCode(200);
    }

    /**
     * The checkpoints (sequence numbers and hashes of the log) are for auditors and admins, like the records they sign;
     * the public key that verifies them is public.
     */
    @Test
    void checkpointsAreForAuditorsAndAdminsThePublicKeyForAnyone() {
        given().get("/v1/audit/checkpoints").then().statusCode(401).contentType("application/problem+json");
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        given().auth().oauth2(operator).get("/v1/audit/checkpoints").then().statusCode(403).contentType("application/problem+json");
        given().auth().oauth2(KeycloakTokens.service("ratelimit")).get("/v1/audit/checkpoints").then().statusCode(403);
        Callers.asAuditor().get("/v1/audit/checkpoints").then().statusCode(200);
        given().get("/v1/audit/public-key").then().statusCode(200).body("algorithm", org.hamcrest.Matchers.equalTo("Ed25519"));
    }

    @Test
    void writingNeedsTheAuditRecordPermission() {
        var anonymous = Callers.withToken(url, null);
        var auditor = Callers.withToken(url, KeycloakTokens.auditor());
        // audit-service's own account sends signals, it does not record through the API
        var withoutPermission = Callers.withToken(url, KeycloakTokens.service("audit"));
        try {
            var e = assertThrows(StatusRuntimeException.class, () -> AuditIngestGrpc.newBlockingStub(anonymous).record(event("x.y")));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
            e = assertThrows(StatusRuntimeException.class, () -> AuditIngestGrpc.newBlockingStub(auditor).record(event("x.y")));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> AuditIngestGrpc.newBlockingStub(withoutPermission).record(event("x.y")));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        } finally {
            anonymous.shutdownNow();
            auditor.shutdownNow();
            withoutPermission.shutdownNow();
        }
    }

    /** A read's event is in the outbox before the answer, and in the chain with the next relay pass. */
    @Test
    void everyReadIsRecordedWithItsReader() {
        String trace = "trace-" + System.nanoTime();
        Callers.asAuditor().queryParam("traceId", trace).get("/v1/audit/events").then().statusCode(200);
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        while (true) {
            var events = Callers.asAuditor().queryParam("actor", KeycloakTokens.AUDITOR).queryParam("action", "audit.read")
                    .get("/v1/audit/events").then().statusCode(200).extract().jsonPath();
            String path = "events.find { it.attributes.trace_filter == '" + trace + "' }";
            if (events.get(path) != null) {
                assertEquals(KeycloakTokens.AUDITOR, events.getString(path + ".actor.id"));
                assertEquals("user", events.getString(path + ".actor.type"));
                assertEquals("audit-service", events.getString(path + ".service"));
                return;
            }
            assertTrue(System.nanoTime() < deadline, "the read was not recorded within 20 s");
            dev.sekisho.testing.servers.Ports.sleep(200);
        }
    }
}
