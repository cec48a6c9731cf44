package dev.sekisho.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.google.protobuf.Timestamp;
import com.sun.net.httpserver.HttpServer;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.launcher.ServicePorts;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TempDirs;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * alert-service is killed (no shutdown hook runs) and started again on the same stores: a notification delivered
 * before the crash is not sent again, one whose endpoint was failing is retried to delivery, and one still waiting in
 * its group's group_wait is sent after the restart. The instance has a database of its own, so the suite's
 * alert-service cannot deliver in its place while it is down.
 */
class AlertsAcrossRestartTest {

    private static final Duration READY = Duration.ofSeconds(180);
    private static final Duration GROUP_WAIT = Duration.ofSeconds(60);

    private static Suite suite;
    private static HttpServer receiver;
    /** 2xx answers per webhook-id, and attempts per path. */
    private static final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private static final Map<String, String> caseOf = new ConcurrentHashMap<>();
    /** The alert's case label in a notification's JSON (which the service stores as jsonb: spaced, keys reordered). */
    private static final java.util.regex.Pattern CASE = java.util.regex.Pattern.compile("\"case\":\\s*\"([^\"]+)\"");
    private static final Map<String, String> lastBody = new ConcurrentHashMap<>();
    private static final AtomicBoolean flakyDown = new AtomicBoolean(true);
    private static Map<String, String> environment;
    private static ServicePorts ports;
    private static Path logs;

    @BeforeAll
    static void startAnInstanceOfItsOwn() throws IOException {
        suite = RunningSuite.get();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/", exchange -> {
            try {
                String path = exchange.getRequestURI().getPath();
                attempts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                String body = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                lastBody.put(path, (id == null ? "(no webhook-id) " : "") + body.substring(0, Math.min(body.length(), 600)));
                int status = path.equals("/flaky") && flakyDown.get() ? 503 : 200;
                if (status == 200 && id != null) {
                    delivered.computeIfAbsent(id, i -> new AtomicInteger()).incrementAndGet();
                    java.util.regex.Matcher label = CASE.matcher(body);
                    if (label.find()) {
                        caseOf.put(id, label.group(1));
                    }
                }
                exchange.sendResponseHeaders(status, -1);
            } catch (RuntimeException e) {
                lastBody.put("error", e.toString());
                exchange.sendResponseHeaders(500, -1);
            } finally {
                exchange.close();
            }
        });
        receiver.start();
        int port = receiver.getAddress().getPort();

        Path config = TempDirs.create("alert-restart");
        Path rules = Files.createDirectories(config.resolve("rules"));
        Files.writeString(rules.resolve("restart.yaml"), """
                title: Restart case
                id: restart-case
                logsource: {product: sekisho}
                detection:
                  s: {kind: integration.failed, case|exists: true}
                  condition: s
                fields: [case]
                level: medium
                """);
        Path routing = Files.createDirectories(config.resolve("routing"));
        Files.writeString(routing.resolve("routing.yaml"), """
                route:
                  receiver: log
                  group_by: [case]
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 4h
                  routes:
                    - matchers: ['case=~"delivered-.*"']
                      receiver: ok
                    - matchers: ['case=~"failing-.*"']
                      receiver: flaky
                    - matchers: ['case=~"waiting-.*"']
                      receiver: ok
                      group_wait: %2$ds
                receivers:
                  - name: log
                    log: {}
                  - name: ok
                    webhook: {url: 'http://127.0.0.1:%1$d/ok', secret_keys: [sekisho.test.webhook-secret], allowed_networks: [127.0.0.1/32]}
                  - name: flaky
                    webhook: {url: 'http://127.0.0.1:%1$d/flaky', secret_keys: [sekisho.test.webhook-secret], allowed_networks: [127.0.0.1/32]}
                """.formatted(port, GROUP_WAIT.toSeconds()));

        String database = "sekisho_alert_restart";
        PostgresServer.Connection postgres = SharedServers.postgres();
        PostgresServer.createDatabase(postgres.withDatabase("postgres"), database);
        PostgresServer.Connection db = postgres.withDatabase(database);
        environment = new java.util.HashMap<>(suite.environment(SekishoService.ALERT));
        environment.putAll(Map.of("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl(), "QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl(),
                "SEKISHO_ALERT_RULES_DIR", rules.toString(), "SEKISHO_ALERT_ROUTING_DIR", routing.toString(),
                // retries stay a few seconds apart, so the failing endpoint's turn comes soon after it recovers
                "SEKISHO_ALERT_RETRY_MAX_DELAY", "2s",
                "SEKISHO_TEST_WEBHOOK_SECRET", "whsec_" + java.util.Base64.getEncoder().encodeToString(UUID.randomUUID().toString().getBytes())));
        ports = ServicePorts.free();
        logs = Files.createDirectories(Path.of("target", "suite-logs"));
    }

    @AfterAll
    static void stopTheReceiver() {
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void aCrashNeitherResendsWhatWasDeliveredNorLosesWhatWasPending() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        ServiceLauncher first = launch("first");
        long waitingDue;
        try {
            signal(first, "delivered-" + run);
            signal(first, "failing-" + run);
            signal(first, "waiting-" + run);
            waitingDue = System.nanoTime() + GROUP_WAIT.toNanos();
            await("the first alert is delivered and the failing endpoint tried", Duration.ofSeconds(60),
                    () -> deliveredFor("delivered-" + run) == 1 && attempts.getOrDefault("/flaky", new AtomicInteger()).get() >= 1);
        } finally {
            first.process().destroyForcibly();
            first.awaitExit(Duration.ofSeconds(30));
        }
        assertEquals(0, deliveredFor("failing-" + run), "nothing reached the failing endpoint");
        if (System.nanoTime() < waitingDue) {
            // (on a machine slow enough to take a minute to this point, the group was due, and sent, before the crash)
            assertEquals(0, deliveredFor("waiting-" + run), "the waiting group was not due before the crash");
        }

        flakyDown.set(false);
        ServiceLauncher second = launch("second");
        try {
            await("the failing endpoint's notification and the waiting group are sent after the restart", Duration.ofSeconds(180),
                    () -> deliveredFor("failing-" + run) == 1 && deliveredFor("waiting-" + run) == 1);
            // a notification fired after the restart is delivered only after the restart's first dispatch pass
            // (which is when anything already delivered would be sent again)
            signal(second, "delivered-after-" + run);
            await("a new alert is delivered", Duration.ofSeconds(60), () -> deliveredFor("delivered-after-" + run) == 1);
        } finally {
            second.stop();
        }
        assertEquals(1, deliveredFor("delivered-" + run), "what was delivered before the crash is not sent again");
        assertEquals(1, deliveredFor("failing-" + run));
        assertEquals(1, deliveredFor("waiting-" + run));
        assertTrue(delivered.values().stream().allMatch(n -> n.get() == 1), "each webhook-id is accepted once: " + delivered);
    }

    private static ServiceLauncher launch(String which) {
        Path log = logs.resolve("alert-service-restart-" + which + ".log");
        ServiceLauncher launched = ServiceLauncher.launch(Path.of(System.getProperty("sekisho.root")), SekishoService.ALERT, ports,
                environment, log);
        try {
            launched.awaitReady(READY, log);
        } catch (RuntimeException e) {
            launched.stop();
            throw e;
        }
        return launched;
    }

    /** 2xx answers the receiver gave to notifications of the alert whose case label is {@code value}. */
    private static int deliveredFor(String value) {
        return caseOf.entrySet().stream().filter(e -> e.getValue().equals(value))
                .mapToInt(e -> delivered.get(e.getKey()).get()).sum();
    }

    private static void signal(ServiceLauncher instance, String value) {
        URI uri = URI.create(instance.url());
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + KeycloakTokens.service("auth"));
        ManagedChannel channel = ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
        try {
            Instant now = Instant.now();
            int fired = AlertsGrpc.newBlockingStub(channel).signal(SecuritySignal.newBuilder().setSignalId(UUID.randomUUID().toString())
                    .setKind("integration.failed").setSeverity(Severity.SEVERITY_WARNING)
                    .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                    .putLabels("case", value).build()).getAlertIdsCount();
            assertEquals(1, fired, "the signal fires the rule: " + value);
        } finally {
            channel.shutdownNow();
        }
    }

    private static void await(String what, Duration within, BooleanSupplier done) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + within + "; attempts " + attempts + ", delivered " + caseOf
                        + ", last bodies " + lastBody);
            }
            Ports.sleep(200);
        }
    }
}
