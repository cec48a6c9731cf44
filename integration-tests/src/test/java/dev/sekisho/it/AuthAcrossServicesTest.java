package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.auth.v1.AuthGrpc;
import dev.sekisho.auth.v1.IntrospectRequest;
import dev.sekisho.auth.v1.IntrospectResponse;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.Totp;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * A login as the design describes it, through the real services: auth-service asks ratelimit-service for the attempt
 * budget, Keycloak for the grant, and audit-service receives the outcome; a second auth-service instance sharing the
 * Redis honours a logout made at the first.
 */
class AuthAcrossServicesTest {

    private static Suite suite;
    private static String secondAuth;
    /** The token a peer service introspects with (fetched once: one test freezes Keycloak). */
    private static String caller;

    @BeforeAll
    static void startTheSuiteAndASecondAuthService() {
        suite = RunningSuite.get();
        secondAuth = suite.startAnother(SekishoService.AUTH, Ports.free(), Duration.ofSeconds(120));
        caller = KeycloakTokens.service("alert");
    }

    /** Keycloak hung (SIGSTOP): logins get a 503 with Retry-After within the timeout; introspection goes on. */
    @Test
    void withKeycloakFrozenLoginsFailFastAndIntrospectionKeepsWorking() {
        String token = KeycloakTokens.service("secrets");
        assertTrue(introspect(secondAuth, KeycloakTokens.service("audit")).getActive(), "keys fetched before the freeze");
        org.junit.jupiter.api.Assumptions.assumeTrue(SharedServers.pauseKeycloak(), "an external Keycloak is not frozen");
        try {
            long start = System.nanoTime();
            Response answer = login(suite.url(SekishoService.AUTH), KeycloakTokens.ALICE, "Whatever-Password-1", "123456", randomIp());
            long millis = (System.nanoTime() - start) / 1_000_000;
            answer.then().statusCode(503).contentType("application/problem+json")
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                    .body("type", equalTo("https://sekisho.dev/problems/unavailable"));
            // bounded by the timeout (10 s here), where a frozen Keycloak alone would hold the login for ever
            assertTrue(millis < 60_000, "answered in " + millis + " ms (keycloak-timeout is 10 s)");
            IntrospectResponse introspected = introspect(secondAuth, token);
            assertTrue(introspected.getActive(), "a token never seen before is verified from the cached keys");
        } finally {
            SharedServers.resumeKeycloak();
        }
    }

    @Test
    void aLoginIsBudgetedGrantedAuditedAndItsLogoutHonouredByTheOtherInstance() {
        String ip = randomIp();
        Map<String, Object> tokens = login(suite.url(SekishoService.AUTH), KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD,
                Totp.fresh(KeycloakTokens.ALICE_TOTP), ip).then().statusCode(200).extract().as(Map.class);
        String access = (String) tokens.get("access_token");

        assertTrue(introspect(secondAuth, access).getActive(), "the second instance accepts the token");
        given().baseUri(suite.url(SekishoService.AUTH)).auth().oauth2(access).header("X-Forwarded-For", ip).contentType(ContentType.JSON)
                .body(Map.of("refresh_token", tokens.get("refresh_token"))).post("/v1/auth/logout").then().statusCode(200);
        // the suite's promise: a revocation reaches every instance within a second (each re-reads the list every 500 ms)
        Ports.sleep(1_000);
        IntrospectResponse after = introspect(secondAuth, access);
        assertFalse(after.getActive(), "revoked everywhere");
        assertEquals("revoked", after.getInactiveReason());

        String auditor = KeycloakTokens.auditor();
        awaitAudited(auditor, "auth.login.succeeded", KeycloakTokens.ALICE, ip);
        awaitAudited(auditor, "auth.logout", KeycloakTokens.ALICE, ip);
    }

    /** login-per-user in deploy/ratelimit/auth.yaml: 10 attempts per 5 minutes, then 429 without Keycloak. */
    @Test
    void theRealAttemptBudgetStopsGuessingBeforeKeycloak() {
        String user = "guesser-" + UUID.randomUUID();
        int refused = 0;
        int limited = 0;
        for (int i = 0; i < 12; i++) {
            // a fresh source address each time: the per-user budget is the one under test
            Response answer = login(suite.url(SekishoService.AUTH), user, "Guess-Number-" + i, "123456", randomIp());
            if (answer.statusCode() == 401) {
                refused++;
            } else {
                answer.then().statusCode(429).header("Retry-After", org.hamcrest.Matchers.notNullValue())
                        .body("type", equalTo("https://sekisho.dev/problems/rate-limited"));
                limited++;
            }
        }
        assertEquals(10, refused, "the budget admits exactly 10 attempts");
        assertEquals(2, limited);
        assertEquals(10, KeycloakAdmin.loginErrors(user), "Keycloak saw only the budgeted attempts");
    }

    private static Response login(String baseUrl, String username, String password, String totp, String ip) {
        return given().baseUri(baseUrl).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                .body(Map.of("username", username, "password", password, "totp", totp)).post("/v1/auth/token");
    }

    private static IntrospectResponse introspect(String baseUrl, String token) {
        java.net.URI uri = java.net.URI.create(baseUrl);
        ManagedChannel channel = ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
        try {
            Metadata metadata = new Metadata();
            metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + caller);
            return AuthGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                    .introspect(IntrospectRequest.newBuilder().setToken(token).build());
        } finally {
            channel.shutdownNow();
        }
    }

    /** The outbox delivers within seconds; audit-service answers the query by actor and action. */
    private static void awaitAudited(String auditor, String action, String actor, String ip) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<Map<String, Object>> events = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                    .queryParam("action", action).queryParam("actor", actor).get("/v1/audit/events")
                    .then().statusCode(200).extract().jsonPath().getList("events");
            if (events.stream().anyMatch(e -> ip.equals(((Map<?, ?>) e.get("actor")).get("ip"))
                    && "auth-service".equals(e.get("service")))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(action + " by " + actor + " from " + ip + " not in audit-service after 20 s: " + events);
            }
            Ports.sleep(200);
        }
    }

    private static String randomIp() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return "198.51." + r.nextInt(0, 256) + "." + r.nextInt(1, 255);
    }
}
