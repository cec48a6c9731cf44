package dev.sekisho.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

import dev.sekisho.auth.client.TokenSet;
import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * Every credential endpoint spends an attempt budget at ratelimit-service before Keycloak sees it, and a logout is
 * only answered as done when it was.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class CredentialEndpointsTest {

    @Test
    void serviceTokenAttemptsAreBudgetedPerClient() {
        String client = "guessed-" + UUID.randomUUID();
        for (int i = 0; i < FakePeers.BUDGET; i++) {
            serviceToken(client, "guess-" + i).then().statusCode(401);
        }
        serviceToken(client, "guess-next").then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", "42").body("type", equalTo("https://sekisho.dev/problems/rate-limited"))
                .body(not(containsString("guess-next")));
        FakePeers.await(() -> FakePeers.audited("auth.service-token.limited", client).size() == 1, "limited attempt audited");
        FakePeers.await(() -> FakePeers.SIGNALS.stream().anyMatch(s -> s.getKind().equals("auth.service-token.limited")
                && client.equals(s.getLabelsMap().get("client"))), "signal to alert-service");
    }

    @Test
    void refreshAttemptsAreBudgetedPerSourceAddress() {
        String ip = randomIp();
        for (int i = 0; i < FakePeers.BUDGET; i++) {
            refresh("made-up-refresh-token-" + i, ip).then().statusCode(401);
        }
        refresh("made-up-refresh-token", ip).then().statusCode(429).header("Retry-After", "42")
                .body("type", equalTo("https://sekisho.dev/problems/rate-limited"));
        // another address still has its budget
        refresh("made-up-refresh-token", randomIp()).then().statusCode(401);
    }

    @Test
    void aLogoutOfARefreshTokenKeycloakDoesNotKnowIsABadRequest() {
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", "made-up-refresh-token"))
                .post("/v1/auth/logout").then().statusCode(400).contentType("application/problem+json")
                .body(not(containsString("made-up-refresh-token")))
                .body("revoked", org.hamcrest.Matchers.nullValue());
    }

    /** A bearer that sends another user's refresh token ends nothing: not that session, not its own token. */
    @Test
    void aLogoutWithAnotherUsersRefreshTokenChangesNothing() {
        String demoAccess = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String aliceRefresh = TokenLifecycleTest.keycloakGrant(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD,
                Totp.fresh(KeycloakTokens.ALICE_TOTP));
        given().auth().oauth2(demoAccess).contentType(ContentType.JSON).body(Map.of("refresh_token", aliceRefresh))
                .post("/v1/auth/logout").then().statusCode(400).contentType("application/problem+json");
        // the demo's token still opens what it opened (a 403 for a permission it lacks, not a 401)
        given().auth().oauth2(demoAccess).post("/v1/auth/users/nobody/disable").then().statusCode(403);
        // alice's session still refreshes
        String renewed = given().contentType(ContentType.JSON).body(Map.of("refresh_token", aliceRefresh))
                .post("/v1/auth/refresh").then().statusCode(200).extract().path("refresh_token");
        assertTrue(renewed != null && !renewed.isBlank(), "alice's session was not ended");
        FakePeers.await(() -> FakePeers.AUDIT.stream().anyMatch(e -> e.getAction().equals("auth.logout.failed")
                && e.getReason().equals("refresh token of another subject")), "refused logout audited");
        assertEquals(0, FakePeers.AUDIT.stream().filter(e -> e.getAction().equals("auth.logout")
                && e.getResource().getId().equals(TokenSet.subjectOf(demoAccess))).count(), "no logout recorded for the demo");
    }

    private static io.restassured.response.Response serviceToken(String clientId, String secret) {
        return given().contentType(ContentType.JSON).body(Map.of("client_id", clientId, "client_secret", secret))
                .post("/v1/auth/service-token");
    }

    private static io.restassured.response.Response refresh(String token, String ip) {
        return given().contentType(ContentType.JSON).header("X-Forwarded-For", ip).body(Map.of("refresh_token", token))
                .post("/v1/auth/refresh");
    }

    private static String randomIp() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
    }
}
