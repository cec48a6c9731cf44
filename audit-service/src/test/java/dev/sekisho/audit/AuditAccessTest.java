package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URL;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.KeycloakTestResource;
import dev.sekisho.testing.KeycloakTokens;
import dev.sekisho.testing.PostgresTestResource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Only auditors and admins read the log, only services write it, and every read is itself recorded. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
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
        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        given().auth().oauth2(admin).get("/v1/audit/events?limit=1").then().statusCode(200);
    }

    @Test
    void writingNeedsAServiceIdentity() {
        var anonymous = Callers.withToken(url, null);
        var auditor = Callers.withToken(url, KeycloakTokens.user(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null));
        try {
            var e = assertThrows(StatusRuntimeException.class, () -> AuditIngestGrpc.newBlockingStub(anonymous).record(event("x.y")));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
            e = assertThrows(StatusRuntimeException.class, () -> AuditIngestGrpc.newBlockingStub(auditor).record(event("x.y")));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        } finally {
            anonymous.shutdownNow();
            auditor.shutdownNow();
        }
    }

    @Test
    void everyReadIsRecordedWithItsReader() {
        String trace = "trace-" + System.nanoTime();
        Callers.asAuditor().queryParam("traceId", trace).get("/v1/audit/events").then().statusCode(200);
        Callers.asAuditor().queryParam("actor", "bob").queryParam("action", "audit.read").get("/v1/audit/events").then()
                .statusCode(200)
                .body("events.size()", greaterThan(0))
                .body("events.find { it.attributes.trace_filter == '" + trace + "' }.actor.id", equalTo("bob"));
    }
}
