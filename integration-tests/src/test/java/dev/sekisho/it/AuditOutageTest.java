package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;
import dev.sekisho.ratelimit.v1.BlockRequest;
import dev.sekisho.ratelimit.v1.Identity;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.ratelimit.v1.RateLimiterGrpc;

/**
 * audit-service stopped for 30 s while the other services go on working: failed logins (auth-service's Redis outbox),
 * secret reads (secrets-service's PostgreSQL outbox, written in the read's transaction) and blocks (ratelimit-service's
 * Redis outbox) are answered as usual and wait in their outboxes, whose backlog and oldest-age metrics show it; once
 * audit-service is back, every record is in the log exactly once and the chain over them verifies.
 */
class AuditOutageTest {

    private static final int EACH = 8;
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    @Test
    void eventsRecordedWhileAuditServiceIsDownArriveOnceWhenItIsBack() {
        Suite suite = RunningSuite.get();
        String run = UUID.randomUUID().toString().substring(0, 8);
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String secret = "integrations/outage-" + run;
        given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator).contentType(ContentType.JSON)
                .body(Map.of("data", Map.of("token", "outage-value-" + run))).put("/v1/secrets/" + secret).then().statusCode(200);
        String blocker = KeycloakTokens.service("alert"); // ratelimit:block, as alert-service's playbooks
        int subnet = ThreadLocalRandom.current().nextInt(0, 256);

        suite.stop(SekishoService.AUDIT);
        long down = System.nanoTime();
        List<String> users = new ArrayList<>();
        List<String> blocked = new ArrayList<>();
        ManagedChannel ratelimit = channel(suite.port(SekishoService.RATELIMIT), blocker);
        try {
            for (int i = 0; i < EACH; i++) {
                String user = "outage-" + run + "-" + i;
                users.add(user);
                // an address per login: neither the login budget per address nor the spraying rule is under test here
                given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                        .header("X-Forwarded-For", "203.0." + subnet + "." + (i + 1))
                        .body(Map.of("username", user, "password", "not-the-password", "totp", "000000"))
                        .post("/v1/auth/token").then().statusCode(401);
                given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator).get("/v1/secrets/" + secret)
                        .then().statusCode(200);
                String ip = "192.0." + subnet + "." + (i + 1);
                blocked.add(ip);
                RateLimiterGrpc.newBlockingStub(ratelimit).block(BlockRequest.newBuilder()
                        .setIdentity(Identity.newBuilder().setType(IdentityType.IDENTITY_TYPE_IP).setValue(ip))
                        .setDuration(com.google.protobuf.Duration.newBuilder().setSeconds(60)).setReason("outage test " + run).build());
            }
        } finally {
            ratelimit.shutdownNow();
        }
        for (SekishoService producer : List.of(SekishoService.AUTH, SekishoService.SECRETS, SekishoService.RATELIMIT)) {
            awaitMetric(suite, producer, "sekisho_outbox_backlog{stream=\"audit\"}", EACH);
            assertTrue(metric(suite, producer, "sekisho_outbox_oldest_age_seconds{stream=\"audit\"}") > 0,
                    producer.module() + " shows how long its oldest record waits");
        }
        Ports.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000));
        suite.restart(SekishoService.AUDIT, Duration.ofSeconds(120));

        String auditor = KeycloakTokens.auditor();
        List<Long> seqs = new ArrayList<>();
        for (String user : users) {
            seqs.addAll(awaitOnce(suite, auditor, Map.of("action", "auth.login.failed", "resourceId", user), 1));
        }
        seqs.addAll(awaitOnce(suite, auditor, Map.of("action", "secret.read", "resourceId", secret), EACH));
        for (String ip : blocked) {
            seqs.addAll(awaitOnce(suite, auditor, Map.of("action", "ratelimit.block.created", "resourceId", ip), 1));
        }
        long from = seqs.stream().mapToLong(Long::longValue).min().orElseThrow();
        // from the outage's first record: another test of this suite cuts the chain's tail on purpose, earlier
        given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor).queryParam("from", from)
                .get("/v1/audit/verify").then().statusCode(200).body("valid", org.hamcrest.Matchers.equalTo(true));
        for (SekishoService producer : List.of(SekishoService.AUTH, SekishoService.SECRETS, SekishoService.RATELIMIT)) {
            awaitMetric(suite, producer, "sekisho_outbox_backlog{stream=\"audit\"}", 0);
        }
    }

    /**
     * The records matching the query once {@code expected} of them are there, their sequence numbers; a second copy of
     * any (a redelivery stored twice) fails.
     */
    private static List<Long> awaitOnce(Suite suite, String auditor, Map<String, String> query, int expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            List<Map<String, Object>> events = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                    .queryParams(query).get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
            if (events.size() >= expected) {
                Ports.sleep(1_000); // a late duplicate would arrive with the same pass
                events = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                        .queryParams(query).get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
                assertEquals(expected, events.size(), "each record once: " + query);
                assertEquals(expected, events.stream().map(e -> e.get("eventId")).distinct().count(), "distinct events: " + query);
                return events.stream().map(e -> ((Number) e.get("seq")).longValue()).toList();
            }
            assertTrue(System.nanoTime() < deadline, "not all recorded after the outage: " + query + " (" + events.size() + ")");
            Ports.sleep(500);
        }
    }

    private static void awaitMetric(Suite suite, SekishoService service, String series, double atLeastOrZero) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            double value = metric(suite, service, series);
            if (atLeastOrZero == 0 ? value == 0 : value >= atLeastOrZero) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, service.module() + " " + series + " is " + value);
            Ports.sleep(500);
        }
    }

    /** One series of a service's Prometheus metrics (the management interface). */
    static double metric(Suite suite, SekishoService service, String series) {
        String text = given().baseUri(suite.managementUrl(service)).get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElse(-1);
    }

    private static ManagedChannel channel(int port, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }
}
