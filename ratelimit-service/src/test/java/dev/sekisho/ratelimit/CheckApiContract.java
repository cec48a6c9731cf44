package dev.sekisho.ratelimit;

import static dev.sekisho.ratelimit.Grpc.descriptor;
import static dev.sekisho.ratelimit.Grpc.request;
import static dev.sekisho.ratelimit.Grpc.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.peers.AuditDelivery;
import dev.sekisho.peers.Outbox;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.CheckResponse;
import dev.sekisho.ratelimit.v1.Identity;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.ratelimit.v1.Key;
import dev.sekisho.ratelimit.v1.ListPoliciesRequest;
import dev.sekisho.ratelimit.v1.RateLimiterGrpc;
import dev.sekisho.ratelimit.v1.UnblockRequest;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.http.TestHTTPResource;
import io.restassured.http.ContentType;

/** Sekisho's own API: named policies with a cost, over REST and gRPC, and blocks. */
abstract class CheckApiContract {

    @TestHTTPResource("/")
    URL url;

    /** audit-service does not run here, so what the service audited waits in its outbox. */
    @Inject
    Outbox outbox;

    @Inject
    AuditDelivery auditDelivery;

    @Test
    void restAnswers200ThenA429ProblemWithRetryAfter() {
        Map<String, Object> body = Map.of("policy", "fixed-3-per-hour", "keys", Map.of("fixed", unique()));
        for (int remaining = 2; remaining >= 0; remaining--) {
            given().contentType(ContentType.JSON).body(body).when().post("/v1/ratelimit/check").then()
                    .statusCode(200)
                    .body("allowed", equalTo(true))
                    .body("remaining", equalTo(remaining))
                    .header("RateLimit-Limit", "3, 3;w=3600")
                    .header("RateLimit-Remaining", String.valueOf(remaining));
        }
        given().contentType(ContentType.JSON).body(body).when().post("/v1/ratelimit/check").then()
                .statusCode(429)
                .contentType("application/problem+json")
                .body("type", equalTo("https://sekisho.dev/problems/rate-limited"))
                .header("Retry-After", not(equalTo(null)))
                .header("RateLimit-Remaining", "0");
    }

    @Test
    void costCountsThatManyUnits() {
        Map<String, Object> body = Map.of("policy", "fixed-3-per-hour", "keys", Map.of("fixed", unique()), "cost", 2);
        given().contentType(ContentType.JSON).body(body).post("/v1/ratelimit/check").then().statusCode(200).body("remaining", equalTo(1));
        given().contentType(ContentType.JSON).body(body).post("/v1/ratelimit/check").then().statusCode(429);
    }

    @Test
    void tenantsGetTheirOwnRate() {
        String key = unique();
        Map<String, Object> big = Map.of("policy", "per-tenant", "keys", Map.of("tenant_key", key), "tenant", "big");
        for (int i = 0; i < 3; i++) {
            given().contentType(ContentType.JSON).body(big).post("/v1/ratelimit/check").then().statusCode(200);
        }
        given().contentType(ContentType.JSON).body(big).post("/v1/ratelimit/check").then().statusCode(429);
        Map<String, Object> small = Map.of("policy", "per-tenant", "keys", Map.of("tenant_key", key), "tenant", "small");
        given().contentType(ContentType.JSON).body(small).post("/v1/ratelimit/check").then().statusCode(200);
        given().contentType(ContentType.JSON).body(small).post("/v1/ratelimit/check").then().statusCode(429);
    }

    @Test
    void grpcCheckMatchesRest() {
        var channel = Grpc.channel(url);
        try {
            var limiter = RateLimiterGrpc.newBlockingStub(channel);
            CheckRequest request = CheckRequest.newBuilder().setPolicy("bucket-3-per-hour")
                    .addKeys(Key.newBuilder().setName("bucket").setValue(unique())).build();
            for (int i = 0; i < 3; i++) {
                assertTrue(limiter.check(request).getAllowed());
            }
            CheckResponse denied = limiter.check(request);
            assertFalse(denied.getAllowed());
            assertEquals(0, denied.getRemaining());
            long retry = denied.getRetryAfter().getSeconds();
            assertTrue(retry >= 1190 && retry <= 1200, "a token every 20 minutes, retry " + retry);

            assertTrue(limiter.withInterceptors(Grpc.bearer(KeycloakTokens.service("alert")))
                    .listPolicies(ListPoliciesRequest.getDefaultInstance()).getPoliciesList().stream()
                    .anyMatch(p -> p.getName().equals("five-per-90s") && p.getWindow().getSeconds() == 90));

            var e = assertThrows(StatusRuntimeException.class, () -> limiter.check(CheckRequest.newBuilder().setPolicy("nope").build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> limiter.check(CheckRequest.newBuilder().setPolicy("fixed-3-per-hour").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void badRequestsAreProblemsAndChangeNothing() {
        given().contentType(ContentType.JSON).body("{\"policy\": ").post("/v1/ratelimit/check").then()
                .statusCode(400).body("type", equalTo("https://sekisho.dev/problems/malformed-body"));
        given().contentType(ContentType.JSON).body(Map.of("keys", Map.of())).post("/v1/ratelimit/check").then()
                .statusCode(400).body("type", equalTo("https://sekisho.dev/problems/validation-failed"))
                .body("errors.field", hasItem("policy"));
        given().contentType(ContentType.JSON).body(Map.of("policy", "no-such-policy", "keys", Map.of())).post("/v1/ratelimit/check").then()
                .statusCode(404).contentType("application/problem+json");
        given().contentType(ContentType.JSON).body(Map.of("policy", "fixed-3-per-hour", "keys", Map.of("other", "x")))
                .post("/v1/ratelimit/check").then().statusCode(400).body("detail", containsString("needs the key fixed"));
        given().contentType(ContentType.JSON).body(Map.of("policy", "fixed-3-per-hour", "keys", Map.of("fixed", "x"), "cost", -1))
                .post("/v1/ratelimit/check").then().statusCode(400);
        given().contentType(ContentType.TEXT).body("policy=x").post("/v1/ratelimit/check").then().statusCode(415)
                .contentType("application/problem+json");
        given().contentType(ContentType.JSON).body("{\"policy\":\"fixed-3-per-hour\",\"keys\":{\"fixed\":\"" + "x".repeat(2_000_000) + "\"}}")
                .post("/v1/ratelimit/check").then().statusCode(413).contentType("application/problem+json");
    }

    @Test
    void aBlockedIdentityIsDeniedEverywhereUntilUnblocked() {
        String ip = "203.0.113." + (int) (Math.random() * 200);
        String playbook = KeycloakTokens.service("alert");
        given().auth().oauth2(playbook).contentType(ContentType.JSON)
                .body(Map.of("type", "ip", "value", ip, "durationSeconds", 600, "reason", "credential stuffing"))
                .post("/v1/ratelimit/blocks").then().statusCode(201).body("value", equalTo(ip))
                .body("createdBy", equalTo("svc-alert"));
        given().auth().oauth2(playbook).get("/v1/ratelimit/blocks?type=ip").then().statusCode(200).body("value", hasItem(ip));

        var channel = Grpc.channel(url);
        try {
            var envoy = RateLimitServiceGrpc.newBlockingStub(channel);
            RateLimitResponse blocked = envoy.shouldRateLimit(request("any-domain", descriptor("remote_address", ip)));
            assertEquals(RateLimitResponse.Code.OVER_LIMIT, blocked.getOverallCode(), "blocked even without a rule");

            var limiter = RateLimiterGrpc.newBlockingStub(channel).withInterceptors(Grpc.bearer(playbook));
            assertTrue(limiter.unblock(UnblockRequest.newBuilder()
                    .setIdentity(Identity.newBuilder().setType(IdentityType.IDENTITY_TYPE_IP).setValue(ip)).build()).getRemoved());
            assertEquals(RateLimitResponse.Code.OK,
                    envoy.shouldRateLimit(request("any-domain", descriptor("remote_address", ip))).getOverallCode());

            var e = assertThrows(StatusRuntimeException.class, () -> limiter.block(BlockRequest.newBuilder()
                    .setIdentity(Identity.newBuilder().setType(IdentityType.IDENTITY_TYPE_USER).setValue("mallory")).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "a block needs a duration");
        } finally {
            channel.shutdownNow();
        }
        given().auth().oauth2(playbook).delete("/v1/ratelimit/blocks/ip/" + ip).then().statusCode(404);
        given().auth().oauth2(playbook).contentType(ContentType.JSON).body(Map.of("type", "planet", "value", "x", "durationSeconds", 5))
                .post("/v1/ratelimit/blocks").then().statusCode(400);
        // a block whose audit record would not fit (its value is the record's resource id) is refused, not made
        String huge = "u".repeat(600);
        given().auth().oauth2(playbook).contentType(ContentType.JSON).body(Map.of("type", "user", "value", huge, "durationSeconds", 60))
                .post("/v1/ratelimit/blocks").then().statusCode(400).contentType("application/problem+json");
        var grpcChannel = Grpc.channel(url);
        try {
            var refused = assertThrows(StatusRuntimeException.class, () -> RateLimiterGrpc.newBlockingStub(grpcChannel)
                    .withInterceptors(Grpc.bearer(playbook)).block(BlockRequest.newBuilder().setIdentity(Identity.newBuilder()
                            .setType(IdentityType.IDENTITY_TYPE_USER).setValue(huge)).setDuration(com.google.protobuf.Duration
                            .newBuilder().setSeconds(60)).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        } finally {
            grpcChannel.shutdownNow();
        }
        given().auth().oauth2(playbook).get("/v1/ratelimit/blocks?type=user").then().statusCode(200)
                .body("value", org.hamcrest.Matchers.not(hasItem(huge)));

        // both changes are audited, by whom and on what, before the caller hears of them
        List<AuditEvent> audited = auditDelivery.waiting(outbox, 10_000).await().atMost(Duration.ofSeconds(5)).stream()
                .filter(event -> event.getResource().getId().equals(ip)).toList();
        assertEquals(List.of("ratelimit.block.created", "ratelimit.block.removed", "ratelimit.block.removed"),
                audited.stream().map(AuditEvent::getAction).toList());
        assertTrue(audited.stream().allMatch(event -> event.getActor().getId().equals("svc-alert")
                && event.getResource().getType().equals("blocked-ip") && event.getService().equals("ratelimit-service")));
        assertEquals("credential stuffing", audited.get(0).getReason());
        assertEquals(dev.sekisho.audit.v1.Outcome.OUTCOME_FAILURE, audited.get(2).getOutcome(), "the second unblock found nothing");
    }

    /**
     * Finding: anyone on the network could spend the login budget of any username and keep that user locked out. The
     * auth domain is decided only for auth-service's identity; Envoy-facing domains stay open.
     */
    @Test
    void theLoginBudgetIsSpentOnlyByACallerAllowedForItsDomain() {
        String user = "victim-" + unique();
        RateLimitRequest attempt = request("auth", descriptor("username", user));
        var channel = Grpc.channel(url);
        try {
            var stranger = RateLimitServiceGrpc.newBlockingStub(channel);
            var otherService = stranger.withInterceptors(Grpc.bearer(KeycloakTokens.service("ratelimit")));
            for (int i = 0; i < 5; i++) {
                var e = assertThrows(StatusRuntimeException.class, () -> stranger.shouldRateLimit(attempt));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
                e = assertThrows(StatusRuntimeException.class, () -> otherService.shouldRateLimit(attempt));
                assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            }
            var limiter = RateLimiterGrpc.newBlockingStub(channel);
            CheckRequest check = CheckRequest.newBuilder().setPolicy("test-login-per-user")
                    .addKeys(Key.newBuilder().setName("username").setValue(user)).build();
            var e = assertThrows(StatusRuntimeException.class, () -> limiter.check(check));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            given().contentType(ContentType.JSON).body(Map.of("policy", "test-login-per-user", "keys", Map.of("username", user)))
                    .post("/v1/ratelimit/check").then().statusCode(401).contentType("application/problem+json");

            // none of that spent anything: auth-service still finds the whole budget of 3
            var auth = stranger.withInterceptors(Grpc.bearer(KeycloakTokens.service("auth")));
            RateLimitResponse first = auth.shouldRateLimit(attempt);
            assertEquals(RateLimitResponse.Code.OK, first.getOverallCode());
            assertEquals(2, first.getStatuses(0).getLimitRemaining());
            assertEquals(1, limiter.withInterceptors(Grpc.bearer(KeycloakTokens.service("auth"))).check(check).getRemaining());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void blocksNeedAnOperatorOrAServiceAndListingsAnAuditor() {
        Map<String, Object> block = Map.of("type", "user", "value", "mallory-" + unique(), "durationSeconds", 60);
        given().contentType(ContentType.JSON).body(block).post("/v1/ratelimit/blocks").then().statusCode(401)
                .contentType("application/problem+json");
        given().get("/v1/ratelimit/blocks").then().statusCode(401);
        given().get("/v1/ratelimit/policies").then().statusCode(401);
        String auditor = KeycloakTokens.auditor();
        given().auth().oauth2(auditor).contentType(ContentType.JSON).body(block).post("/v1/ratelimit/blocks").then().statusCode(403)
                .contentType("application/problem+json");
        // Finding: one "service" role opened every service API. Only accounts with ratelimit:block block now.
        given().auth().oauth2(KeycloakTokens.service("secrets")).contentType(ContentType.JSON).body(block)
                .post("/v1/ratelimit/blocks").then().statusCode(403);
        given().auth().oauth2(KeycloakTokens.service("secrets")).get("/v1/ratelimit/blocks").then().statusCode(403);
        // Finding: a password-only token (bob has no TOTP) was honoured
        given().auth().oauth2(KeycloakTokens.user(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null))
                .get("/v1/ratelimit/policies").then().statusCode(401);
        given().auth().oauth2(auditor).get("/v1/ratelimit/blocks").then().statusCode(200);
        given().auth().oauth2(auditor).get("/v1/ratelimit/policies").then().statusCode(200).body("name", hasItem("fixed-3-per-hour"));

        var channel = Grpc.channel(url);
        try {
            var anonymous = RateLimiterGrpc.newBlockingStub(channel);
            var e = assertThrows(StatusRuntimeException.class, () -> anonymous.unblock(UnblockRequest.newBuilder()
                    .setIdentity(Identity.newBuilder().setType(IdentityType.IDENTITY_TYPE_USER).setValue("mallory")).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            var reader = RateLimiterGrpc.newBlockingStub(channel).withInterceptors(Grpc.bearer(auditor));
            e = assertThrows(StatusRuntimeException.class, () -> reader.unblock(UnblockRequest.newBuilder()
                    .setIdentity(Identity.newBuilder().setType(IdentityType.IDENTITY_TYPE_USER).setValue("mallory")).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            // decisions stay open: Envoy calls them without a token
            assertEquals(RateLimitResponse.Code.OK, RateLimitServiceGrpc.newBlockingStub(channel)
                    .shouldRateLimit(request("any-domain", descriptor("remote_address", "198.51.100.7"))).getOverallCode());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void decisionsAreCountedPerPolicyAndOutcome() {
        Map<String, Object> body = Map.of("policy", "five-per-90s", "keys", Map.of("odd_window", unique()));
        for (int i = 0; i < 6; i++) {
            given().contentType(ContentType.JSON).body(body).post("/v1/ratelimit/check");
        }
        given().accept("text/plain").get("/q/metrics").then().statusCode(200)
                .body(containsString("sekisho_ratelimit_decisions_total{outcome=\"limited\",policy=\"five-per-90s\""))
                .body(containsString("sekisho_ratelimit_decision_seconds_bucket"));
    }
}
