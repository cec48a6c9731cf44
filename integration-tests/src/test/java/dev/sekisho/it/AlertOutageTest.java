package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import io.restassured.http.ContentType;

/**
 * alert-service stopped for 30 s while logins fail: auth-service answers them as usual, their signals wait in its
 * outbox (backlog and oldest-age metrics), and once alert-service is back the shipped brute-force rule fires once on
 * exactly the five signals, each counted once, although the outbox offered them again and again during the outage.
 */
class AlertOutageTest {

    private static final int FAILURES = 5; // the brute-force rule's threshold (deploy/alert/rules/auth.yaml)
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    @Test
    void signalsSentWhileAlertServiceIsDownAreCountedOnceWhenItIsBack() {
        Suite suite = RunningSuite.get();
        String user = "alert-outage-" + UUID.randomUUID().toString().substring(0, 8);
        int subnet = ThreadLocalRandom.current().nextInt(0, 256);
        double before = AuditOutageTest.metric(suite, SekishoService.AUTH, "sekisho_outbox_backlog{stream=\"signals\"}");

        suite.stop(SekishoService.ALERT);
        long down = System.nanoTime();
        for (int i = 0; i < FAILURES; i++) {
            given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                    .header("X-Forwarded-For", "198.18." + subnet + "." + (i + 1))
                    .body(Map.of("username", user, "password", "not-the-password", "totp", "000000"))
                    .post("/v1/auth/token").then().statusCode(401);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (AuditOutageTest.metric(suite, SekishoService.AUTH, "sekisho_outbox_backlog{stream=\"signals\"}") < Math.max(0, before) + FAILURES) {
            assertTrue(System.nanoTime() < deadline, "auth-service's signal backlog does not show the outage");
            Ports.sleep(500);
        }
        assertTrue(AuditOutageTest.metric(suite, SekishoService.AUTH, "sekisho_outbox_oldest_age_seconds{stream=\"signals\"}") > 0,
                "the oldest waiting signal's age is shown");
        Ports.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000));
        suite.restart(SekishoService.ALERT, Duration.ofSeconds(120));

        String auditor = KeycloakTokens.auditor();
        Map<?, ?> alert = null;
        deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (alert == null) {
            alert = given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                    .queryParam("rule", "sekisho-auth-brute-force-user").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                    .<Map<?, ?>>getList("alerts").stream().filter(a -> user.equals(((Map<?, ?>) a.get("labels")).get("user")))
                    .findFirst().orElse(null);
            assertTrue(alert != null || System.nanoTime() < deadline, "the brute-force rule did not fire after the outage");
            Ports.sleep(500);
        }
        // every signal offered again has been seen by now: the outbox is empty
        deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (AuditOutageTest.metric(suite, SekishoService.AUTH, "sekisho_outbox_backlog{stream=\"signals\"}") > 0) {
            assertTrue(System.nanoTime() < deadline, "auth-service's signal backlog does not drain");
            Ports.sleep(500);
        }
        var detail = given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor).get("/v1/alerts/" + alert.get("id"))
                .then().statusCode(200).extract().jsonPath();
        assertEquals(1, detail.getInt("alert.occurrences"), "one firing");
        List<String> signals = detail.getList("evidence.firings.evidence.flatten().signalId");
        assertEquals(FAILURES, signals.size(), "the five signals are the evidence: " + signals);
        assertEquals(FAILURES, signals.stream().distinct().count(), "each counted once: " + signals);
    }
}
