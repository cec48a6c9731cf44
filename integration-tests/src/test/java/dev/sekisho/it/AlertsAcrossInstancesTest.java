package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.google.protobuf.Timestamp;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * Two alert-service instances on one Redis and one PostgreSQL count together and fire once: failed logins for one
 * user sent to both at once open one alert, with one occurrence.
 */
class AlertsAcrossInstancesTest {

    private static Suite suite;
    private static List<String> instances;

    @BeforeAll
    static void startTwoInstances() {
        suite = RunningSuite.get();
        String second = suite.startAnother(SekishoService.ALERT, Ports.free(), Duration.ofSeconds(120));
        instances = List.of(suite.url(SekishoService.ALERT), second);
    }

    @Test
    void failuresSentToBothInstancesFireOneAlert() throws Exception {
        String user = "both-" + UUID.randomUUID().toString().substring(0, 8);
        String token = KeycloakTokens.service("auth");
        List<ManagedChannel> channels = instances.stream().map(url -> channel(url, token)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> fired = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                ManagedChannel channel = channels.get(i % 2);
                fired.add(pool.submit(() -> {
                    start.await();
                    Instant now = Instant.now();
                    return AlertsGrpc.newBlockingStub(channel).signal(SecuritySignal.newBuilder().setSignalId(UUID.randomUUID().toString())
                            .setKind("auth.login.failed").setSeverity(Severity.SEVERITY_INFO)
                            .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                            .putLabels("user", user).putLabels("ip", "198.51.100.200").build()).getAlertIdsCount();
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : fired) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(1, total, "one signal of the twelve, on one of the instances, fired the rule");
        } finally {
            pool.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
        String auditor = KeycloakTokens.auditor();
        for (String instance : instances) {
            List<Map<String, Object>> alerts = given().baseUri(instance).auth().oauth2(auditor)
                    .queryParam("rule", "sekisho-auth-brute-force-user").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                    .getList("alerts");
            List<Map<String, Object>> mine = alerts.stream().filter(a -> user.equals(((Map<?, ?>) a.get("labels")).get("user"))).toList();
            assertEquals(1, mine.size(), "one alert, seen alike from " + instance);
            assertEquals(1, mine.get(0).get("occurrences"));
        }
    }

    private static ManagedChannel channel(String url, String token) {
        URI uri = URI.create(url);
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }
}
