package dev.sekisho.ratelimit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.peers.AuditDelivery;
import dev.sekisho.peers.Outbox;
import dev.sekisho.peers.SignalDelivery;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Editing the policy files changes the policies in force; a broken edit is refused and reported, nothing else; each
 * change is audited and signalled.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(PolicyDirTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class PolicyHotReloadTest {

    @Inject
    Outbox outbox;

    @Inject
    AuditDelivery auditDelivery;

    @Inject
    SignalDelivery signalDelivery;

    private static final String CHECK = "checks.find { it.name == 'rate-limit policies' }";

    @Test
    void editsApplyWithoutRestartAndABrokenEditKeepsThePreviousPolicies() throws Exception {
        policies().then().statusCode(200).body("name", hasItem("hot-1"));

        Files.writeString(PolicyDirTestResource.dir().resolve("more.yaml"), """
                domain: more
                descriptors:
                  - key: k
                    rate_limit: {name: hot-2, algorithm: token_bucket, per: 45s, requests_per_unit: 9, burst: 3}
                """);
        eventually(() -> policies().then().body("name", hasItems("hot-1", "hot-2")));

        Files.writeString(PolicyDirTestResource.dir().resolve("broken.yaml"), """
                domain: broken
                descriptors:
                  - key: k
                    rate_limit: {name: hot-3, unit: fortnight, requests_per_unit: 1}
                """);
        eventually(() -> given().get("/q/health/ready").then()
                .statusCode(200)
                .body(CHECK + ".status", equalTo("UP"))
                .body(CHECK + ".data.rejected", containsString("broken.yaml:4"))
                .body(CHECK + ".data.rejected", containsString("unknown unit 'fortnight'")));
        policies().then().body("name", hasItems("hot-1", "hot-2")).body("name", not(hasItem("hot-3")));

        Files.delete(PolicyDirTestResource.dir().resolve("broken.yaml"));
        eventually(() -> given().get("/q/health/ready").then().body(CHECK + ".data.rejected", nullValue()));

        // each change is audited by the service itself and signalled: the file added, the edit refused (the start's
        // set is no change; deleting the broken file left the set in force as it was, so it is none either)
        List<AuditEvent> changes = auditDelivery.waiting(outbox, 10_000).await().atMost(Duration.ofSeconds(5)).stream()
                .filter(e -> e.getAction().startsWith("policy.")).toList();
        assertEquals(List.of("policy.reloaded", "policy.rejected"), changes.stream().map(AuditEvent::getAction).toList());
        assertEquals("more.yaml", changes.get(0).getAttributesOrThrow("added"));
        assertEquals("ratelimit-service", changes.get(0).getActor().getId());
        assertEquals("rate-limit policies", changes.get(0).getResource().getId());
        assertTrue(changes.get(1).getReason().contains("broken.yaml:4"), changes.get(1).getReason());
        // the signals are in the outbox, waiting or already handed to alert-service (here the in-process fake of its
        // API); their delivery is the outbox's own (OutboxTest, PostgresOutboxTest), behind whatever earlier test
        // classes left in the shared Redis
        eventually(() -> {
            java.util.Map<String, String> outcomes = new java.util.TreeMap<>();
            List<SecuritySignal> seen = new java.util.ArrayList<>(FakeAlerts.SIGNALS);
            seen.addAll(signalDelivery.waiting(outbox, 100_000).await().atMost(Duration.ofSeconds(5)));
            seen.stream().filter(x -> x.getKind().equals("policy.changed"))
                    .forEach(x -> outcomes.put(x.getSignalId(), x.getLabelsOrThrow("outcome")));
            assertEquals(List.of("loaded", "rejected"), outcomes.values().stream().sorted().toList());
        });
    }

    private static void eventually(Runnable assertion) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                assertion.run();
                return;
            } catch (AssertionError notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }

    /** The listing as an auditor sees it (it needs a token). */
    private static io.restassured.response.Response policies() {
        return given().auth().oauth2(KeycloakTokens.auditor())
                .get("/v1/ratelimit/policies");
    }
}
