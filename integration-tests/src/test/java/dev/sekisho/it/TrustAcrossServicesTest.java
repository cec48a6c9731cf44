package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.auth.v1.AuthGrpc;
import dev.sekisho.auth.v1.DisableUserRequest;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.Totp;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;

/**
 * The findings of the outside review, tried against the real services as the reviewer did: a token outliving its
 * logout or its user's disable outside auth-service, a password-only token reading the audit log, one service's
 * identity opening another service's commands, and strangers spending the login budget.
 */
class TrustAcrossServicesTest {

    /** The suite promises a revocation reaches every instance of every service within this. */
    private static final long REVOCATION_REACH_MILLIS = 1_000;
    private static final String PASSWORD = "Trust-Test-Password-2026";

    private static Suite suite;

    @BeforeAll
    static void startTheSuite() {
        suite = RunningSuite.get();
    }

    @Test
    void aLoggedOutUsersTokenIsRefusedByRatelimitAndAuditWithinASecond() {
        Person person = newAuditor();
        String access = person.login();
        assertHonouredEverywhere(access);

        given().baseUri(url(SekishoService.AUTH)).auth().oauth2(access).header("X-Forwarded-For", person.ip)
                .contentType(ContentType.JSON).body(Map.of()).post("/v1/auth/logout").then().statusCode(200);
        Ports.sleep(REVOCATION_REACH_MILLIS);
        assertRefusedEverywhere(access);
    }

    @Test
    void aDisabledUsersTokenIsRefusedByRatelimitAndAuditWithinASecond() {
        Person person = newAuditor();
        String access = person.login();
        assertHonouredEverywhere(access);

        // an admin of this test alone: the realm's alice is shared with other tests' logins and their one-time codes
        Person admin = newPerson("admin");
        given().baseUri(url(SekishoService.AUTH)).auth().oauth2(admin.login()).post("/v1/auth/users/" + person.username + "/disable")
                .then().statusCode(200);
        Ports.sleep(REVOCATION_REACH_MILLIS);
        assertRefusedEverywhere(access);
    }

    /** Minted by Keycloak with the auth client's secret for a user without TOTP: no service takes it. */
    @Test
    void aPasswordOnlyTokenIsRefusedByEveryService() {
        String passwordOnly = KeycloakTokens.user(KeycloakTokens.BOB, KeycloakTokens.BOB_PASSWORD, null);
        assertRefusedEverywhere(passwordOnly);
        given().baseUri(url(SekishoService.AUTH)).auth().oauth2(passwordOnly).get("/v1/auth/access-review").then()
                .statusCode(401).contentType("application/problem+json");
    }

    @Test
    void ratelimitsIdentityCannotDisableAUser() {
        ManagedChannel channel = channel(SekishoService.AUTH, KeycloakTokens.service("ratelimit"));
        try {
            var e = assertThrows(StatusRuntimeException.class, () -> AuthGrpc.newBlockingStub(channel)
                    .disableUser(DisableUserRequest.newBuilder().setUser(KeycloakTokens.DEMO).setReason("test").build()));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aCallerWithoutAuthServicesIdentityCannotSpendTheLoginBudget() {
        RateLimitRequest attempt = RateLimitRequest.newBuilder().setDomain("auth")
                .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder()
                        .setKey("username").setValue(KeycloakTokens.DEMO)))
                .build();
        for (String token : new String[] {null, KeycloakTokens.service("alert")}) {
            ManagedChannel channel = channel(SekishoService.RATELIMIT, token);
            try {
                var e = assertThrows(StatusRuntimeException.class,
                        () -> RateLimitServiceGrpc.newBlockingStub(channel).shouldRateLimit(attempt));
                assertEquals(token == null ? Status.Code.UNAUTHENTICATED : Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static void assertHonouredEverywhere(String access) {
        given().baseUri(url(SekishoService.AUDIT)).auth().oauth2(access).get("/v1/audit/events?limit=1").then().statusCode(200);
        given().baseUri(url(SekishoService.RATELIMIT)).auth().oauth2(access).get("/v1/ratelimit/policies").then().statusCode(200);
    }

    private static void assertRefusedEverywhere(String access) {
        given().baseUri(url(SekishoService.AUDIT)).auth().oauth2(access).get("/v1/audit/events?limit=1").then().statusCode(401)
                .contentType("application/problem+json");
        given().baseUri(url(SekishoService.RATELIMIT)).auth().oauth2(access).get("/v1/ratelimit/policies").then().statusCode(401)
                .contentType("application/problem+json");
    }

    /** A person of this test alone, with TOTP, who logs in through auth-service. */
    private record Person(String username, String totpSecret, String ip) {
        String login() {
            return given().baseUri(url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                    .body(Map.of("username", username, "password", PASSWORD, "totp", Totp.fresh(totpSecret)))
                    .post("/v1/auth/token").then().statusCode(200).extract().path("access_token");
        }
    }

    private static Person newAuditor() {
        return newPerson("auditor");
    }

    private static Person newPerson(String role) {
        String username = "trust-" + UUID.randomUUID();
        String secret = "trust-totp-" + UUID.randomUUID();
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(username, PASSWORD, secret, List.of(role))));
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new Person(username, secret, "198.18." + r.nextInt(0, 256) + "." + r.nextInt(1, 255));
    }

    private static String url(SekishoService service) {
        return suite.url(service);
    }

    private static ManagedChannel channel(SekishoService service, String token) {
        URI uri = URI.create(url(service));
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        return ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }
}
