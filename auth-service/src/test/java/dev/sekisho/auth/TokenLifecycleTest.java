package dev.sekisho.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.auth.v1.AuthGrpc;
import dev.sekisho.auth.v1.IntrospectRequest;
import dev.sekisho.auth.v1.IntrospectResponse;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.Totp;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** Introspection, logout and revocation, machine tokens, the Envoy ext_authz check, access review. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class TokenLifecycleTest {

    @TestHTTPResource
    URL url;

    @Test
    void introspectionVerifiesLocallyAndHonoursLogout() {
        String access = KeycloakTokens.service("ratelimit");
        ManagedChannel channel = channel();
        try {
            var auth = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(KeycloakTokens.service("secrets")));
            IntrospectResponse active = auth.introspect(IntrospectRequest.newBuilder().setToken(access).build());
            assertTrue(active.getActive());
            assertEquals("svc-ratelimit", active.getClientId());
            assertTrue(active.getRolesList().contains("audit:record"), "the service account's own permissions");

            given().auth().oauth2(access).contentType(ContentType.JSON).body(Map.of()).post("/v1/auth/logout").then()
                    .statusCode(200).body("revoked", equalTo(true));
            IntrospectResponse revoked = auth.introspect(IntrospectRequest.newBuilder().setToken(access).build());
            assertFalse(revoked.getActive());
            assertEquals("revoked", revoked.getInactiveReason());

            for (String bad : new String[] {forged(access), noneAlg(access), "not.a.jwt", "x".repeat(20_000)}) {
                IntrospectResponse answer = auth.introspect(IntrospectRequest.newBuilder().setToken(bad).build());
                assertFalse(answer.getActive(), "refused: " + answer.getInactiveReason());
                assertFalse(answer.getInactiveReason().contains(bad.substring(0, 8)), "the token is not echoed");
            }

            var anonymous = AuthGrpc.newBlockingStub(channel);
            var e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> anonymous.introspect(IntrospectRequest.newBuilder().setToken(access).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            // callers' tokens are remembered once verified; a forged one is still refused
            var forger = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(forged(KeycloakTokens.service("secrets"))));
            e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> forger.introspect(IntrospectRequest.newBuilder().setToken(access).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            var user = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(KeycloakTokens.auditor()));
            e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> user.introspect(IntrospectRequest.newBuilder().setToken(access).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), "introspection needs auth:introspect");
            var passwordOnly = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(
                    KeycloakTokens.user(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null)));
            e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> passwordOnly.introspect(IntrospectRequest.newBuilder().setToken(access).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), "a person's token without a one-time code");
        } finally {
            channel.shutdownNow();
        }
    }

    /** Tokens Keycloak really signed, but for another audience or past their expiry, are refused everywhere. */
    @Test
    void wrongAudienceAndExpiredTokensAreRefused() {
        String admin = KeycloakAdmin.masterToken();
        String otherAudience = clientToken(admin, "test-other-audience", false, 300);
        String shortLived = clientToken(admin, "test-short-lived", true, 1);
        ManagedChannel channel = channel();
        try {
            var auth = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(KeycloakTokens.service("secrets")));
            IntrospectResponse wrongAudience = auth.introspect(IntrospectRequest.newBuilder().setToken(otherAudience).build());
            assertFalse(wrongAudience.getActive());
            assertEquals("wrong audience", wrongAudience.getInactiveReason());
            given().auth().oauth2(otherAudience).get("/v1/auth/access-review").then().statusCode(401)
                    .contentType("application/problem+json");

            assertTrue(auth.introspect(IntrospectRequest.newBuilder().setToken(shortLived).build()).getActive());
            // as a caller: authenticated (no auditor role, so 403) and remembered, but only until it expires
            given().auth().oauth2(shortLived).get("/v1/auth/access-review").then().statusCode(403);
            dev.sekisho.testing.servers.Ports.sleep(12_500); // 1 s lifespan + 10 s clock skew
            given().auth().oauth2(shortLived).get("/v1/auth/access-review").then().statusCode(401)
                    .contentType("application/problem+json");
            IntrospectResponse expired = auth.introspect(IntrospectRequest.newBuilder().setToken(shortLived).build());
            assertFalse(expired.getActive(), "expired, even though it was verified (and cached) while valid");
            assertEquals("expired", expired.getInactiveReason());
            CheckResponse check = AuthorizationGrpc.newBlockingStub(channel)
                    .check(check(Map.of("authorization", "Bearer " + shortLived), Map.of()));
            assertEquals(401, check.getDeniedResponse().getStatus().getCodeValue());
        } finally {
            channel.shutdownNow();
        }
    }

    /** An admin disables a user: Keycloak refuses them from then on, and every token they hold is revoked. */
    @Test
    void disablingAUserRevokesEveryTokenTheyHold() {
        String username = "leaver-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        String totpSecret = "leaver-totp-" + java.util.UUID.randomUUID();
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(username, "Leaver-Password-2026", totpSecret)));
        String held = KeycloakTokens.user(username, "Leaver-Password-2026", totpSecret);
        ManagedChannel channel = channel();
        try {
            var auth = AuthGrpc.newBlockingStub(channel).withInterceptors(bearer(KeycloakTokens.service("secrets")));
            assertTrue(auth.introspect(IntrospectRequest.newBuilder().setToken(held).build()).getActive());

            String alice = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
            given().auth().oauth2(alice).post("/v1/auth/users/" + username + "/disable").then().statusCode(200)
                    .body("username", equalTo(username)).body("wasEnabled", equalTo(true));

            IntrospectResponse after = auth.introspect(IntrospectRequest.newBuilder().setToken(held).build());
            assertFalse(after.getActive());
            assertEquals("revoked: the user was disabled", after.getInactiveReason());
            given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                    .formParam("client_id", "sekisho-auth").formParam("client_secret", "sekisho-auth-dev-secret")
                    .formParam("username", username).formParam("password", "Leaver-Password-2026")
                    .formParam("totp", Totp.fresh(totpSecret))
                    .post(keycloak() + "/realms/sekisho/protocol/openid-connect/token").then().statusCode(400);
            given().auth().oauth2(alice).post("/v1/auth/users/nobody-" + java.util.UUID.randomUUID() + "/disable").then()
                    .statusCode(404).contentType("application/problem+json");
            FakePeers.await(() -> FakePeers.AUDIT.stream().anyMatch(e -> e.getAction().equals("auth.user.disabled")
                    && e.getAttributesMap().get("username").equals(username)), "disable audited");
        } finally {
            channel.shutdownNow();
        }
    }

    /** A confidential client made for this test through Keycloak's admin API, and its client-credentials token. */
    private static String clientToken(String admin, String clientId, boolean sekishoAudience, int lifespanSeconds) {
        Map<String, Object> client = new java.util.HashMap<>(Map.of("clientId", clientId, "secret", clientId + "-secret",
                "publicClient", false, "serviceAccountsEnabled", true, "standardFlowEnabled", false,
                "attributes", Map.of("access.token.lifespan", String.valueOf(lifespanSeconds))));
        if (sekishoAudience) {
            client.put("protocolMappers", java.util.List.of(Map.of("name", "audience", "protocol", "openid-connect",
                    "protocolMapper", "oidc-audience-mapper",
                    "config", Map.of("included.custom.audience", "sekisho", "access.token.claim", "true"))));
        }
        int status = given().auth().oauth2(admin).contentType(ContentType.JSON).body(client)
                .post(keycloak() + "/admin/realms/sekisho/clients").then().extract().statusCode();
        assertTrue(status == 201 || status == 409, "client created: " + status);
        return given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "client_credentials")
                .formParam("client_id", clientId).formParam("client_secret", clientId + "-secret")
                .post(keycloak() + "/realms/sekisho/protocol/openid-connect/token").then().statusCode(200)
                .extract().path("access_token");
    }

    @Test
    void machineClientsGetTokensWithTheirOwnCredentials() {
        given().contentType(ContentType.JSON).body(Map.of("client_id", "demo-integration", "client_secret", "demo-integration-dev-secret"))
                .post("/v1/auth/service-token").then().statusCode(200)
                .body("access_token", not(emptyOrNullString())).body("token_type", equalTo("Bearer"));
        given().contentType(ContentType.JSON).body(Map.of("client_id", "demo-integration", "client_secret", "wrong"))
                .post("/v1/auth/service-token").then().statusCode(401)
                .body("type", equalTo("https://sekisho.dev/problems/invalid-credentials"))
                .body(not(org.hamcrest.Matchers.containsString("wrong")));
        FakePeers.await(() -> !FakePeers.audited("auth.service-token.issued", "demo-integration").isEmpty(), "issue audited");
    }

    @Test
    void refreshWorksUntilLogoutEndsTheSession() {
        String refresh = keycloakGrant(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, Totp.fresh(KeycloakTokens.DEMO_TOTP));
        Map<String, Object> renewedTokens = given().contentType(ContentType.JSON).body(Map.of("refresh_token", refresh))
                .post("/v1/auth/refresh").then().statusCode(200).extract().as(Map.class);
        String renewed = (String) renewedTokens.get("refresh_token");
        // the renewed access token still shows the one-time code of the session's login, so every service takes it
        given().auth().oauth2((String) renewedTokens.get("access_token")).post("/v1/auth/users/nobody/disable").then()
                .statusCode(403);
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", renewed)).post("/v1/auth/logout").then().statusCode(200);
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", renewed)).post("/v1/auth/refresh").then()
                .statusCode(401).contentType("application/problem+json");
        given().contentType(ContentType.JSON).body(Map.of()).post("/v1/auth/logout").then().statusCode(400);
    }

    /** A password-only session (bob has no TOTP) straight from Keycloak cannot be renewed into tokens through Sekisho. */
    @Test
    void aSessionWithoutAOneTimeCodeIsNotRefreshed() {
        String refresh = keycloakGrant(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null);
        given().contentType(ContentType.JSON).body(Map.of("refresh_token", refresh)).post("/v1/auth/refresh").then()
                .statusCode(401).contentType("application/problem+json");
        FakePeers.await(() -> FakePeers.AUDIT.stream().anyMatch(e -> e.getAction().equals("auth.token.refresh-failed")
                && e.getReason().equals("mfa_not_shown")), "refusal audited");
    }

    /** Keycloak's direct grant for the auth client, bypassing auth-service: the refresh token. */
    static String keycloakGrant(String username, String password, String totp) {
        var request = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "password").formParam("client_id", "sekisho-auth")
                .formParam("client_secret", "sekisho-auth-dev-secret").formParam("username", username)
                .formParam("password", password);
        if (totp != null) {
            request.formParam("totp", totp);
        }
        return request.post(keycloak() + "/realms/sekisho/protocol/openid-connect/token").then().statusCode(200)
                .extract().path("refresh_token");
    }

    @Test
    void extAuthzAllowsValidTokensWithIdentityHeadersAndDeniesTheRest() {
        ManagedChannel channel = channel();
        try {
            var authz = AuthorizationGrpc.newBlockingStub(channel);
            String token = KeycloakTokens.service("audit");

            CheckResponse ok = authz.check(check(Map.of("authorization", "Bearer " + token, "x-sekisho-roles", "admin"), Map.of()));
            assertEquals(0, ok.getStatus().getCode());
            Map<String, String> added = new java.util.HashMap<>();
            ok.getOkResponse().getHeadersList().forEach(h -> added.put(h.getHeader().getKey(), h.getHeader().getValue()));
            assertEquals("alert:signal", added.get("x-sekisho-roles"), "the client's own x-sekisho-roles is overwritten");
            assertEquals("svc-audit", added.get("x-sekisho-client"));

            CheckResponse none = authz.check(check(Map.of(), Map.of()));
            assertEquals(Status.Code.UNAUTHENTICATED.value(), none.getStatus().getCode());
            assertEquals(401, none.getDeniedResponse().getStatus().getCodeValue());
            assertTrue(none.getDeniedResponse().getBody().contains("https://sekisho.dev/problems/unauthorized"));

            CheckResponse forged = authz.check(check(Map.of("authorization", "Bearer " + forged(token)), Map.of()));
            assertEquals(401, forged.getDeniedResponse().getStatus().getCodeValue());

            CheckResponse role = authz.check(check(Map.of("authorization", "Bearer " + token),
                    Map.of("sekisho.required_role", "admin")));
            assertEquals(403, role.getDeniedResponse().getStatus().getCodeValue());

            CheckResponse apiKey = authz.check(check(Map.of("x-api-key", FakePeers.VALID_API_KEY), Map.of()));
            assertEquals(0, apiKey.getStatus().getCode());
            CheckResponse badKey = authz.check(check(Map.of("x-api-key", "sk_nope"), Map.of()));
            assertEquals(401, badKey.getDeniedResponse().getStatus().getCodeValue());

            // the gateway budget (sekisho.auth.gateway-rate-policy) is asked per subject for every allowed request
            String busy = KeycloakTokens.service("alert");
            for (int i = 0; i < FakePeers.BUDGET; i++) {
                assertEquals(0, authz.check(check(Map.of("authorization", "Bearer " + busy), Map.of())).getStatus().getCode());
            }
            CheckResponse limited = authz.check(check(Map.of("authorization", "Bearer " + busy), Map.of()));
            assertEquals(429, limited.getDeniedResponse().getStatus().getCodeValue());
            // and without a token of auth-service's own: the budget must not depend on Keycloak
            List<FakePeers.Call> budgetCalls = FakePeers.CALLS.stream()
                    .filter(c -> c.method().equals("sekisho.ratelimit.v1.RateLimiter/Check")).toList();
            assertFalse(budgetCalls.isEmpty(), "the gateway budget was asked");
            assertTrue(budgetCalls.stream().noneMatch(FakePeers.Call::withToken), "the gateway budget call carries no token");
            assertTrue(limited.getDeniedResponse().getHeadersList().stream()
                    .anyMatch(h -> h.getHeader().getKey().equals("Retry-After") && h.getHeader().getValue().equals("42")));
            // a route's own budget (context_extensions sekisho.rate_policy) is spent instead of the default one
            CheckResponse ownRoute = authz.check(check(Map.of("authorization", "Bearer " + busy), Map.of("sekisho.rate_policy", "orders-per-subject")));
            assertEquals(0, ownRoute.getStatus().getCode(), "the route's budget is not the spent default one");
            assertTrue(FakePeers.SPENT.keySet().stream().anyMatch(k -> k.startsWith("orders-per-subject/")), FakePeers.SPENT.keySet().toString());

            FakePeers.await(() -> FakePeers.AUDIT.stream().anyMatch(e -> e.getAction().equals("auth.check.denied")
                    && e.getReason().equals("missing role admin")), "denials audited");
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void accessReviewListsUsersWithMfaAndFlagsForAuditorsOnly() {
        String auditor = KeycloakTokens.auditor();
        given().auth().oauth2(auditor).get("/v1/auth/access-review").then().statusCode(200)
                .body("entries.find { it.username == 'bob' }.flags", hasItem("no-mfa"))
                .body("entries.find { it.username == 'demo' }.mfaConfigured", equalTo(true))
                .body("entries.find { it.username == 'alice' }.roles", hasItem("admin"))
                .body("entries.username", not(hasItem("service-account-svc-auth")));
        given().get("/v1/auth/access-review").then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2(auditor).post("/v1/auth/users/demo/disable").then().statusCode(403)
                .contentType("application/problem+json");
        FakePeers.await(() -> !FakePeers.audited("auth.access-review.read", KeycloakTokens.AUDITOR).isEmpty(), "read audited");
    }

    private static CheckRequest check(Map<String, String> headers, Map<String, String> extensions) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath("/api/orders").putAllHeaders(headers)))
                .putAllContextExtensions(extensions)).build();
    }

    /** The same claims with the signature of another payload. */
    static String forged(String token) {
        String[] parts = token.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"groups\":[", "\"groups\":[\"admin\",");
        if (!claims.contains("\"admin\"")) {
            throw new IllegalStateException("the token has no groups claim to forge");
        }
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(claims.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
    }

    static String noneAlg(String token) {
        String[] parts = token.split("\\.");
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes());
        return header + "." + parts[1] + ".";
    }

    private ManagedChannel channel() {
        return ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build();
    }

    private static io.grpc.ClientInterceptor bearer(String token) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return MetadataUtils.newAttachHeadersInterceptor(metadata);
    }

    private static String keycloak() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("sekisho.keycloak.url", String.class);
    }
}
