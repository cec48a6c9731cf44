package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.http.ContentType;

/**
 * The whole answer to an attack, across the real services: password spraying against auth-service is signalled
 * through auth-service's outbox to alert-service, whose shipped rule fires and whose playbook blocks the address in
 * ratelimit-service, so the gateway's decisions and the login budget for that address are refused; the alert and
 * the block are in audit-service.
 */
class AlertsAcrossServicesTest {

    private static Suite suite;

    @BeforeAll
    static void startTheSuite() {
        suite = RunningSuite.get();
    }

    @Test
    void passwordSprayingAgainstAuthServiceBlocksTheAddressEverywhere() {
        String auditor = KeycloakTokens.auditor();
        // signals flow once auth-service's outbox reaches alert-service (started after it): five failures for one
        // user fire the shipped brute-force rule, seen in alert-service
        String probe = "probe-" + UUID.randomUUID().toString().substring(0, 8);
        String probeIp = "198.51.100." + ThreadLocalRandom.current().nextInt(1, 255);
        for (int i = 0; i < 5; i++) {
            given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", probeIp)
                    .body(Map.of("username", probe, "password", "not-the-password", "totp", "000000"))
                    .post("/v1/auth/token").then().statusCode(401);
        }
        await(Duration.ofSeconds(240), () -> given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                .queryParam("rule", "sekisho-auth-brute-force-user").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                .<Map<?, ?>>getList("alerts").stream().filter(a -> probe.equals(((Map<?, ?>) a.get("labels")).get("user")))
                .findFirst().orElse(null));

        String ip = "198.51." + ThreadLocalRandom.current().nextInt(0, 256) + "." + ThreadLocalRandom.current().nextInt(1, 255);
        String batch = "spray-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 10; i++) {
            given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                    .body(Map.of("username", batch + "-" + i, "password", "not-the-password", "totp", "000000"))
                    .post("/v1/auth/token").then().statusCode(401);
        }
        assertEquals(RateLimitResponse.Code.OVER_LIMIT, await(Duration.ofSeconds(90), () -> {
            RateLimitResponse.Code code = gatewayDecision(ip);
            return code == RateLimitResponse.Code.OVER_LIMIT ? code : null;
        }), "the gateway's decisions for the address are refused");
        given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                .body(Map.of("username", batch + "-late", "password", "not-the-password", "totp", "000000"))
                .post("/v1/auth/token").then().statusCode(429);

        Map<?, ?> block = await(Duration.ofSeconds(30), () -> given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                .queryParam("action", "alert.playbook.block_ip").get("/v1/audit/events").then().statusCode(200).extract().jsonPath()
                .<Map<?, ?>>getList("events").stream().filter(e -> ip.equals(((Map<?, ?>) e.get("attributes")).get("target")))
                .findFirst().orElse(null));
        assertEquals("alert-service", block.get("service"), "recorded under alert-service's identity");
        assertEquals("success", block.get("outcome"));
        List<Map<String, Object>> alerts = given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                .queryParam("rule", "sekisho-auth-password-spraying").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                .getList("alerts");
        assertEquals(1, alerts.stream().filter(a -> ip.equals(((Map<?, ?>) a.get("labels")).get("ip"))).count(), "one alert for the address");
    }

    /** A service's readiness report (its outbox backlog and dead letters), for a failure's message. */
    private static String readiness(SekishoService service) {
        return given().baseUri(suite.managementUrl(service)).get("/q/health/ready").then().extract().asString();
    }

    private static RateLimitResponse.Code gatewayDecision(String ip) {
        URI uri = URI.create(suite.url(SekishoService.RATELIMIT));
        ManagedChannel channel = ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
        try {
            return RateLimitServiceGrpc.newBlockingStub(channel).shouldRateLimit(RateLimitRequest.newBuilder().setDomain("gateway")
                    .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder()
                            .setKey("remote_address").setValue(ip)))
                    .build()).getOverallCode();
        } finally {
            channel.shutdownNow();
        }
    }

    private static <T> T await(Duration within, java.util.function.Supplier<T> probe) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            T found = probe.get();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within " + within + "; auth-service's outbox: " + readiness(SekishoService.AUTH)
                        + "; alert-service: " + readiness(SekishoService.ALERT));
            }
            Ports.sleep(500);
        }
    }
}
