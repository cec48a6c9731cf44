package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.RedisServer;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TempDirs;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import io.restassured.config.RestAssuredConfig;
import io.restassured.config.SSLConfig;
import io.restassured.http.ContentType;

/**
 * The whole suite over TLS (Suite.withTls, as ./sekisho up --tls runs it, with scripts/dev-certs.sh's certificates): a
 * second suite of the five services on the shared PostgreSQL and Keycloak and a Redis of its own (so its outboxes are
 * delivered by its own instances, over mTLS). Plaintext is refused on every API port, a gRPC caller without a client
 * certificate is refused, Envoy's rate-limit API answers the gateway's certificate, and an MFA login (auth-service to
 * ratelimit-service over gRPC with client certificates, and Keycloak) succeeds.
 */
class TlsSuiteTest {

    private static Suite suite;
    private static RedisServer redis;
    private static Path certificates;

    @BeforeAll
    static void startTheSuiteOverTls() throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("sekisho.root"));
        certificates = Path.of("target", "tls-certs").toAbsolutePath();
        Process made = new ProcessBuilder("bash", root.resolve("scripts/dev-certs.sh").toString(), certificates.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, made.waitFor(), "scripts/dev-certs.sh");
        redis = new RedisServer(Ports.free(), TempDirs.create("redis-tls"), Path.of("target", "suite-logs-tls", "redis.log"), List.of());
        Files.createDirectories(Path.of("target", "suite-logs-tls"));
        redis.start();
        suite = RunningSuite.onALoadedMachine(new Suite(root, Path.of("target", "suite-logs-tls"),
                new Suite.Backends(SharedServers.postgres(), redis.url(), SharedServers.keycloak()), Suite.freePorts())
                .withTls(certificates));
        suite.start(Duration.ofSeconds(240));
    }

    @AfterAll
    static void stopIt() {
        if (suite != null) {
            suite.stop();
        }
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void plaintextIsRefusedOnEveryApiPort() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (SekishoService service : SekishoService.values()) {
            URI uri = URI.create("http://127.0.0.1:" + suite.port(service) + "/v1/anything");
            assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()), service.module() + " answered plaintext");
        }
    }

    @Test
    void grpcWithoutAClientCertificateIsRefusedAndTheGatewaysIsServed() throws IOException {
        ManagedChannel anonymous = channel(null);
        try {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> RateLimitServiceGrpc.newBlockingStub(anonymous).shouldRateLimit(decision()));
            assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
        } finally {
            anonymous.shutdownNow();
        }
        ManagedChannel gateway = channel("gateway");
        try {
            assertEquals(RateLimitResponse.Code.OK, RateLimitServiceGrpc.newBlockingStub(gateway).shouldRateLimit(decision()).getOverallCode());
        } finally {
            gateway.shutdownNow();
        }
    }

    /**
     * An MFA login over HTTPS: auth-service asks ratelimit-service for the budget over mTLS and Keycloak for the grant,
     * and its outbox delivers the login's record to audit-service over mTLS. Each of those gRPC calls carries both a
     * client certificate and a service token: it is served as the token's caller, because the bearer-token mechanism
     * is asked before Quarkus' mTLS one (quarkus.smallrye-jwt.priority). With the two at one priority their order
     * was left to bean discovery, and a service whose mTLS mechanism came first saw every peer as a certificate with
     * no roles and refused it UNAUTHENTICATED: three CI runs lost this suite so.
     */
    @Test
    void anMfaLoginOverTlsIsBudgetCheckedAndAudited() throws Exception {
        RestAssuredConfig tls = RestAssuredConfig.config().sslConfig(SSLConfig.sslConfig().trustStore(trustStore()));
        String ip = "203.0.113." + ThreadLocalRandom.current().nextInt(1, 255);
        String since = java.time.Instant.now().minusSeconds(1).toString();
        given().config(tls).baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                .body(Map.of("username", KeycloakTokens.DEMO, "password", KeycloakTokens.DEMO_PASSWORD,
                        "totp", Totp.fresh(KeycloakTokens.DEMO_TOTP)))
                .post("/v1/auth/token").then().statusCode(200);
        String auditor = KeycloakTokens.auditor();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            List<Map<String, Object>> records = given().config(tls).baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                    .queryParam("ip", ip).queryParam("action", "auth.login.succeeded").queryParam("from", since).get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
            if (records.stream().anyMatch(r -> "auth.login.succeeded".equals(r.get("action")))) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "the login's record never reached audit-service over mTLS; auth-service's audit backlog: "
                    + AuditOutageTest.metric(suite, SekishoService.AUTH, "sekisho_outbox_backlog{stream=\"audit\"}"));
            Ports.sleep(500);
        }
    }

    private static RateLimitRequest decision() {
        return RateLimitRequest.newBuilder().setDomain("gateway").addDescriptors(RateLimitDescriptor.newBuilder()
                .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("remote_address")
                        .setValue("198.51.100." + ThreadLocalRandom.current().nextInt(1, 255)))).build();
    }

    /** A gRPC channel over TLS that trusts the suite's CA, presenting {@code certificate}'s certificate when not null. */
    private static ManagedChannel channel(String certificate) throws IOException {
        SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(certificates.resolve("ca.crt").toFile());
        if (certificate != null) {
            ssl.keyManager(new File(certificates.resolve(certificate + ".crt").toString()),
                    new File(certificates.resolve(certificate + ".key").toString()));
        }
        return NettyChannelBuilder.forAddress("localhost", suite.port(SekishoService.RATELIMIT)).sslContext(ssl.build()).build();
    }

    private static KeyStore trustStore() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(certificates.resolve("ca.crt"))) {
            trust.setCertificateEntry("sekisho-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        return trust;
    }
}
