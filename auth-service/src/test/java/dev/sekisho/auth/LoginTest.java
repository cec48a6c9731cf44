package dev.sekisho.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.Totp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/** POST /v1/auth/token against the real Keycloak: MFA, one answer for every bad credential, the attempt budget. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class LoginTest {

    static final String INVALID = "https://sekisho.dev/problems/invalid-credentials";

    @Test
    void passwordAndTotpGetTokensAndTheLoginIsAudited() {
        double writesBefore = timed("sekisho_outbox_write_seconds_count");
        double grantsBefore = timed("sekisho_keycloak_call_seconds_count{endpoint=\"token\"");
        String code = Totp.fresh(KeycloakTokens.DEMO_TOTP);
        login(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, code).then().statusCode(200)
                .body("access_token", not(emptyOrNullString()))
                .body("refresh_token", not(emptyOrNullString()))
                .body("token_type", equalTo("Bearer"))
                .body("expires_in", equalTo(300));

        FakePeers.await(() -> !FakePeers.audited("auth.login.succeeded", KeycloakTokens.DEMO).isEmpty(), "login audit");
        AuditEvent event = FakePeers.audited("auth.login.succeeded", KeycloakTokens.DEMO).get(0);
        assertEquals(Outcome.OUTCOME_SUCCESS, event.getOutcome());
        assertEquals("auth-service", event.getService());
        assertFalse(event.toString().contains(KeycloakTokens.DEMO_PASSWORD), "no password in the audit record");
        assertFalse(event.toString().contains(code), "no code in the audit record");
        assertTrue(timed("sekisho_outbox_write_seconds_count") > writesBefore, "the outbox write the answer waited for is timed");
        assertTrue(timed("sekisho_keycloak_call_seconds_count{endpoint=\"token\"") > grantsBefore, "Keycloak's grant is timed");

        // the same code again: Keycloak burns codes on use
        refused(login(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, code));
    }

    @Test
    void everyBadCredentialGetsTheSameAnswer() {
        List<ExtractableResponse<Response>> answers = List.of(
                login(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, Totp.wrong(KeycloakTokens.ALICE_TOTP)).then().extract(),
                login(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, null).then().extract(),
                login(KeycloakTokens.ALICE, "Wrong-Password-2026", Totp.now(KeycloakTokens.ALICE_TOTP)).then().extract(),
                login("nobody-" + UUID.randomUUID(), "Whatever-Password-1", "123456").then().extract(),
                login("x' OR '1'='1'; --<script>alert(1)</script>", "irrelevant", "000000").then().extract());
        for (var answer : answers) {
            assertEquals(401, answer.statusCode());
            assertEquals("application/problem+json", answer.contentType());
            assertEquals(answers.get(0).body().asString(), answer.body().asString(), "indistinguishable refusals");
            assertEquals(INVALID, answer.path("type"));
            assertTrue(answer.path("access_token") == null);
        }
    }

    @Test
    void aUserWithoutMfaGetsNoToken() {
        refused(login(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null));
        refused(login(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, "123456"));
        FakePeers.await(() -> FakePeers.audited("auth.login.failed", KeycloakTokens.BOB).stream()
                .anyMatch(e -> e.getReason().equals("mfa_not_configured")), "refusal audited with its reason");
    }

    /** Past the budget the answer is 429 and Keycloak records no further attempt (its own event log shows it). */
    @Test
    void theAttemptBudgetTripsBeforeKeycloakIsCalled() {
        String user = "budget-" + UUID.randomUUID();
        for (int i = 0; i < FakePeers.BUDGET; i++) {
            refused(login(user, "Wrong-Password-2026", "123456"));
        }
        for (int i = 0; i < 2; i++) {
            login(user, "Wrong-Password-2026", "123456").then().statusCode(429)
                    .contentType("application/problem+json")
                    .header("Retry-After", "42")
                    .body("type", equalTo("https://sekisho.dev/problems/rate-limited"));
        }
        assertEquals(FakePeers.BUDGET, KeycloakAdmin.loginErrors(user), "Keycloak saw only the attempts within the budget");
        FakePeers.await(() -> FakePeers.audited("auth.login.limited", user).size() == 2, "limited attempts audited");
        FakePeers.await(() -> FakePeers.SIGNALS.stream().anyMatch(s -> s.getKind().equals("auth.login.limited")
                && user.equals(s.getLabelsMap().get("user"))), "signal to alert-service");
    }

    @Test
    void badInputIsAProblemAndNeverAToken() {
        given().contentType(ContentType.JSON).body("{\"username\": ").post("/v1/auth/token").then().statusCode(400)
                .contentType("application/problem+json").body("type", equalTo("https://sekisho.dev/problems/malformed-body"));
        given().contentType(ContentType.JSON).body(Map.of("password", "x")).post("/v1/auth/token").then().statusCode(400)
                .body("type", equalTo("https://sekisho.dev/problems/validation-failed"));
        given().contentType(ContentType.JSON).body(Map.of("username", "a\u0000b", "password", "x")).post("/v1/auth/token")
                .then().statusCode(400);
        given().contentType(ContentType.JSON).body(Map.of("username", "u", "password", "x", "totp", "12ab56"))
                .post("/v1/auth/token").then().statusCode(400).body(not(containsText("12ab56")));
        given().contentType("application/x-www-form-urlencoded").formParam("username", "u").post("/v1/auth/token").then()
                .statusCode(415).contentType("application/problem+json");
        given().contentType(ContentType.JSON).body("{\"username\":\"" + "u".repeat(1_100_000) + "\",\"password\":\"x\"}")
                .post("/v1/auth/token").then().statusCode(413).contentType("application/problem+json");
        given().contentType(ContentType.JSON).body(Map.of("username", "u".repeat(300), "password", "x"))
                .post("/v1/auth/token").then().statusCode(400).body("access_token", nullValue());
    }

    private static org.hamcrest.Matcher<String> containsText(String text) {
        return org.hamcrest.Matchers.containsString(text);
    }

    static Response login(String username, String password, String totp) {
        Map<String, String> body = new HashMap<>();
        body.put("username", username);
        body.put("password", password);
        if (totp != null) {
            body.put("totp", totp);
        }
        return given().contentType(ContentType.JSON).body(body).post("/v1/auth/token");
    }

    static void refused(Response response) {
        response.then().statusCode(401).contentType("application/problem+json").body("type", equalTo(INVALID))
                .body("access_token", nullValue());
    }

    /** Calls so far of the service's Prometheus timer whose sample lines start so (summed over the rest of the labels). */
    /** The sum of the samples' values; a value may be followed by an exemplar ({@code 6.0 # {trace_id=...} 1.0 1796237722.5}). */
    private static double timed(String sample) {
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(line -> line.startsWith(sample))
                .map(line -> line.split(" # ", 2)[0].strip())
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
