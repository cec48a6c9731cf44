package dev.sekisho.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.peers.AuditDelivery;
import dev.sekisho.peers.Outbox;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Keycloak down (nothing listening where it should be): a login is a 503 problem with Retry-After, the attempt is
 * stored for audit as an error before the answer, and nothing of the credentials comes back. (Keycloak hung rather
 * than down: the frozen-Keycloak test in integration-tests.)
 *
 * <p>With Keycloak never reachable this instance has no service token either, so the login budget (a protected domain)
 * cannot be asked: with the default fail mode (closed) the login would stop there, also with a 503; with
 * {@code fail-mode=open}, set here, it goes on to Keycloak, which is what this test is about.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(FakePeersTestResource.class)
@WithTestResource(KeycloakUnreachableTest.NoKeycloak.class)
class KeycloakUnreachableTest {

    @Inject
    Outbox outbox;

    @Inject
    AuditDelivery auditDelivery;

    /** A port nothing listens on, as Keycloak's address. */
    public static class NoKeycloak implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            return Map.of("sekisho.keycloak.url", "http://127.0.0.1:" + Ports.free(),
                    "sekisho.auth.login-budget.fail-mode", "open");
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void aLoginIsA503WithRetryAfterAndIsAuditedAsAnError() {
        String user = "down-" + UUID.randomUUID();
        String password = "Secret-Password-" + UUID.randomUUID();
        given().contentType(ContentType.JSON).body(Map.of("username", user, "password", password, "totp", "123456"))
                .post("/v1/auth/token")
                .then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", notNullValue())
                .body("type", equalTo("https://sekisho.dev/problems/unavailable"))
                .body(not(containsString(password)));
        AuditEvent audited = auditedAttempt(user);
        assertEquals("auth.login.error", audited.getAction());
        assertEquals(Outcome.OUTCOME_ERROR, audited.getOutcome());
        assertEquals("keycloak unavailable", audited.getReason());
        assertFalse(audited.toString().contains(password), "no password in the audit record");
    }

    /**
     * The one audit record of a user's attempt: stored before the answer, it waits in the outbox (delivering it needs
     * a service token from Keycloak).
     */
    private AuditEvent auditedAttempt(String user) {
        List<AuditEvent> audited = auditDelivery.waiting(outbox, 10_000).await().atMost(Duration.ofSeconds(5)).stream()
                .filter(event -> event.getActor().getId().equals(user)).toList();
        assertEquals(1, audited.size(), "one audit record of the attempt");
        return audited.get(0);
    }

}
