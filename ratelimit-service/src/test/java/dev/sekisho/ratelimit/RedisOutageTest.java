package dev.sekisho.ratelimit;

import static dev.sekisho.ratelimit.Grpc.descriptor;
import static dev.sekisho.ratelimit.Grpc.request;
import static dev.sekisho.ratelimit.Grpc.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.testing.peers.PeersServedHere;
import dev.sekisho.testing.resources.KillableRedisTestResource;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * Redis dies in the middle of traffic: every answer still comes at once, open policies allow (degraded),
 * closed ones refuse with UNAVAILABLE / 503, and when Redis is back decisions are exact again by themselves.
 */
@QuarkusTest
@WithTestResource(KillableRedisTestResource.class)
@WithTestResource(dev.sekisho.testing.resources.KeycloakTestResource.class)
@TestProfile(RedisOutageTest.ShortTimeout.class)
class RedisOutageTest {

    /**
     * The production default is 50 ms; 100 ms keeps this test stable on a busy two-core machine. The alerts client
     * dials this instance's own port, where {@link FakeAlerts} receives the outage signal.
     */
    public static class ShortTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new java.util.HashMap<>(PeersServedHere.config(List.of("alerts")));
            config.put("sekisho.ratelimit.redis-timeout", "100ms");
            return config;
        }
    }

    /** Far above the Redis timeout this test runs with (100 ms), far below an answer that waited on Redis. */
    private static final long PROMPT_MILLIS = 1000;

    @TestHTTPResource("/")
    URL url;

    @Test
    void aHungRedisIsCutOffByTheTimeout() throws Exception {
        awaitRecovered();
        String key = unique();
        KillableRedisTestResource.pause();
        try {
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                check("open-100", "open", key).then().statusCode(200).body("degraded", equalTo(true));
                long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(millis < PROMPT_MILLIS, "a decision against a hung Redis took " + millis + " ms");
            }
        } finally {
            KillableRedisTestResource.resume();
        }
        awaitRecovered();
    }

    @Test
    void answersKeepComingWithEachPolicysFailModeAndRecoverWhenRedisReturns() throws Exception {
        awaitRecovered();
        String key = unique();
        check("open-100", "open", key).then().statusCode(200).body("degraded", equalTo(false));

        String signalId;
        KillableRedisTestResource.kill();
        try {
            for (int i = 0; i < 30; i++) {
                long start = System.nanoTime();
                check("open-100", "open", key).then().statusCode(200)
                        .body("allowed", equalTo(true)).body("degraded", equalTo(true));
                check("closed-100", "closed", key).then().statusCode(503)
                        .contentType("application/problem+json")
                        .body("type", equalTo("https://sekisho.dev/problems/unavailable"))
                        .header("Retry-After", "1");
                long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(millis < 2 * PROMPT_MILLIS, "two decisions took " + millis + " ms");
            }
            var channel = Grpc.channel(url);
            try {
                var envoy = RateLimitServiceGrpc.newBlockingStub(channel);
                assertEquals(Code.OK, envoy.shouldRateLimit(request("test", descriptor("open", key))).getOverallCode());
                var e = assertThrows(StatusRuntimeException.class,
                        () -> envoy.shouldRateLimit(request("test", descriptor("closed", key))));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            } finally {
                channel.shutdownNow();
            }
            // a caller's token cannot be checked against the revocation list: once its last confirmed answer is a second
            // old (twice the check interval), 503, never an unchecked token
            String auditor = dev.sekisho.testing.fixtures.KeycloakTokens.auditor();
            long refusedBy = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (given().auth().oauth2(auditor).get("/v1/ratelimit/policies").statusCode() != 503) {
                assertTrue(System.nanoTime() < refusedBy, "a token that cannot be checked is still honoured");
                Thread.sleep(100);
            }
            given().auth().oauth2(auditor).get("/v1/ratelimit/policies").then()
                    .statusCode(503).contentType("application/problem+json").header("Retry-After", "1");
            // operators hear of it at once: the outbox lives in the lost Redis, so the signal is also sent directly
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (FakeAlerts.SIGNALS.stream().noneMatch(s -> s.getKind().equals("ratelimit.redis.unavailable"))) {
                assertTrue(System.nanoTime() < deadline, "no Redis-outage signal reached alert-service");
                Thread.sleep(100);
            }
            var signal = FakeAlerts.SIGNALS.stream().filter(s -> s.getKind().equals("ratelimit.redis.unavailable")).findFirst().orElseThrow();
            assertEquals("ratelimit-service", signal.getService());
            assertEquals(dev.sekisho.alert.v1.Severity.SEVERITY_CRITICAL, signal.getSeverity());
            signalId = signal.getSignalId();
        } finally {
            KillableRedisTestResource.restart();
        }

        awaitRecovered();
        // and durably: once Redis is back the same signal is stored in the outbox and relayed (alert-service counts
        // a signal id once, so the direct copy is harmless)
        String id = signalId;
        long relayed = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (FakeAlerts.SIGNALS.stream().filter(s -> s.getSignalId().equals(id)).count() < 2) {
            assertTrue(System.nanoTime() < relayed, "the outage signal never went through the outbox");
            Thread.sleep(200);
        }
        String fresh = unique();
        List<Integer> statuses = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(check("fixed-3-per-hour", "fixed", fresh).then().extract().statusCode());
        }
        assertEquals(List.of(200, 200, 200, 429), statuses);
    }

    /** The circuit breaker lets a trial call through after its delay; until then answers stay degraded. */
    private static void awaitRecovered() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            var response = check("open-100", "open", unique());
            if (response.statusCode() == 200 && Boolean.FALSE.equals(response.then().extract().path("degraded"))) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "decisions did not recover");
            Thread.sleep(200);
        }
    }

    private static io.restassured.response.Response check(String policy, String keyName, String value) {
        return given().contentType(ContentType.JSON).body(Map.of("policy", policy, "keys", Map.of(keyName, value)))
                .post("/v1/ratelimit/check");
    }
}
