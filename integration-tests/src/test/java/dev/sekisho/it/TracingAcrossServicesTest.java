package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TraceCollector;
import dev.sekisho.testing.servers.TraceCollector.CollectedSpan;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;

/**
 * One trace from the gateway to the audit log, collected by a real OTLP receiver (SharedServers.traces): as a gateway
 * would, the test gives an MFA login through auth-service's REST and an ext_authz check with an API key the same
 * trace (W3C traceparent). The trace holds the spans of all five services and Keycloak: the login budget's gRPC pair
 * (auth client, ratelimit server), the Keycloak grant, the API key's verification in secrets-service, Redis and
 * PostgreSQL commands, and, through the outboxes, the audit record's delivery and storing and the signal's evaluation;
 * the audit record and the alert evidence name that trace. No password, code, token or key is in any span.
 */
class TracingAcrossServicesTest {

    @Test
    void aLoginAndAGatewayCheckAreOneTraceAcrossEveryService() {
        Suite suite = RunningSuite.get();
        TraceCollector collector = SharedServers.traces();
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        Map<String, Object> issued = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator)
                .contentType(ContentType.JSON)
                .body(Map.of("name", "tracing probe", "owner", "team-tracing", "scopes", List.of("operator"),
                        "integrationId", Registry.approvedIntegration(suite.url(SekishoService.SECRETS), operator),
                        "allowedCidrs", List.of("203.0.113.0/24")))
                .post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
        String apiKey = (String) issued.get("key");

        String traceId = hex(16);
        String code = Totp.fresh(KeycloakTokens.DEMO_TOTP);
        String ip = "203.0.113." + ThreadLocalRandom.current().nextInt(1, 255);
        String access = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01").header("X-Forwarded-For", ip)
                .body(Map.of("username", KeycloakTokens.DEMO, "password", KeycloakTokens.DEMO_PASSWORD, "totp", code))
                .post("/v1/auth/token").then().statusCode(200).extract().path("access_token");

        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + traceId + "-" + hex(8) + "-01");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", suite.port(SekishoService.AUTH)).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
        try {
            var allowed = AuthorizationGrpc.newBlockingStub(channel).check(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                    .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                            .setSocketAddress(SocketAddress.newBuilder().setAddress("203.0.113.20").setPortValue(40000))))
                    .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                            .setMethod("POST").setPath("/api/orders").putHeaders("x-api-key", apiKey)))
                    .putContextExtensions("sekisho.required_role", "operator")).build());
            assertEquals(0, allowed.getStatus().getCode(), allowed.toString());
        } finally {
            channel.shutdownNow();
        }

        // five refused logins of one user fire the brute-force rule; the fifth is part of this trace too
        String victim = "traced-" + hex(4);
        for (int i = 0; i < 5; i++) {
            var attempt = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                    .header("X-Forwarded-For", "198.18.7." + (i + 1));
            if (i == 4) {
                attempt.header("traceparent", "00-" + traceId + "-" + hex(8) + "-01");
            }
            attempt.body(Map.of("username", victim, "password", "not-the-password", "totp", "000000")).post("/v1/auth/token")
                    .then().statusCode(401);
        }

        List<CollectedSpan> trace = await(collector, traceId, spans -> has(spans, "audit-service", s -> s.name().equals("audit chain append"))
                && has(spans, "alert-service", s -> s.name().equals("alert rule evaluation"))
                && has(spans, "keycloak", s -> true) && has(spans, "secrets-service", s -> s.kind().equals("SERVER")));
        String tree = TraceCollector.tree(trace);
        Set<String> services = trace.stream().map(CollectedSpan::service).collect(Collectors.toSet());
        assertTrue(services.containsAll(Set.of("auth-service", "ratelimit-service", "secrets-service", "audit-service", "alert-service",
                "keycloak")), services + "\n" + tree);
        // the login budget's gRPC call: auth-service's client span, ratelimit-service's server span beneath it
        CollectedSpan budget = trace.stream().filter(s -> s.name().equals("login budget decision")).findFirst()
                .orElseThrow(() -> new AssertionError(tree));
        CollectedSpan budgetCall = trace.stream().filter(s -> s.service().equals("auth-service") && s.kind().equals("CLIENT")
                && s.parentSpanId().equals(budget.spanId())).findFirst().orElseThrow(() -> new AssertionError(tree));
        assertTrue(trace.stream().anyMatch(s -> s.service().equals("ratelimit-service") && s.kind().equals("SERVER")
                && s.parentSpanId().equals(budgetCall.spanId())), tree);
        CollectedSpan grant = trace.stream().filter(s -> s.name().equals("keycloak token grant")).findFirst()
                .orElseThrow(() -> new AssertionError(tree));
        assertTrue(trace.stream().anyMatch(s -> s.service().equals("keycloak") && trace.stream().anyMatch(c -> c.spanId()
                .equals(s.parentSpanId()) && c.parentSpanId().equals(grant.spanId()))), "Keycloak's spans beneath the grant\n" + tree);
        for (String named : List.of("login budget decision", "keycloak token grant", "ratelimit lua decision", "outbox deliver audit",
                "outbox deliver signals", "audit chain append", "alert rule evaluation")) {
            assertTrue(trace.stream().anyMatch(s -> s.name().equals(named)), named + "\n" + tree);
        }
        assertTrue(trace.stream().anyMatch(s -> "redis".equals(s.attributes().get("db.system"))
                || "redis".equals(s.attributes().get("db.system.name"))), "Redis commands\n" + tree);
        // audit-service's store is PostgreSQL: records are written in batches, one transaction for the records of several
        // requests; the batch's span is a child of its first record's append and links the others', and its INSERT (the
        // Vert.x SQL client's span) is beneath it, in this trace or in the one the batch continues
        Set<String> appends = trace.stream().filter(s -> s.name().equals("audit chain append")).map(CollectedSpan::spanId)
                .collect(Collectors.toSet());
        long batchDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String missing;
        while ((missing = unwritten(collector.spans(), appends)) != null) {
            assertTrue(System.nanoTime() < batchDeadline, missing + "\n" + tree);
            Ports.sleep(500);
        }

        for (CollectedSpan span : collector.spans()) {
            String text = span.name() + " " + span.attributes();
            for (String secret : List.of(KeycloakTokens.DEMO_PASSWORD, apiKey, access, operator, code)) {
                assertFalse(text.contains(secret), "a credential in span " + span.name() + " of " + span.service());
            }
        }

        String auditor = KeycloakTokens.auditor();
        long deadline;
        List<Map<String, Object>> records = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                .queryParam("traceId", traceId).get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
        assertTrue(records.stream().anyMatch(r -> "auth.login.succeeded".equals(r.get("action"))), "the login's record names the trace");
        Map<?, ?> alert = null;
        deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (alert == null) {
            alert = given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                    .queryParam("rule", "sekisho-auth-brute-force-user").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                    .<Map<?, ?>>getList("alerts").stream().filter(a -> victim.equals(((Map<?, ?>) a.get("labels")).get("user")))
                    .findFirst().orElse(null);
            assertTrue(alert != null || System.nanoTime() < deadline, "no alert for the refused logins");
            Ports.sleep(500);
        }
        List<String> evidence = given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor).get("/v1/alerts/" + alert.get("id"))
                .then().statusCode(200).extract().jsonPath().getList("evidence.traceIds");
        assertTrue(evidence.contains(traceId), "the alert's evidence names the trace: " + evidence);
    }

    /**
     * With nothing waiting in any outbox, ten seconds of an idle suite send no span of polling: no relay pass's Redis
     * or PostgreSQL commands, no client call outside a trace (Keycloak's own housekeeping aside).
     */
    @Test
    void anIdleSuiteSendsNoPollingSpans() {
        Suite suite = RunningSuite.get();
        TraceCollector collector = SharedServers.traces();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        for (SekishoService service : SekishoService.values()) {
            for (String stream : List.of("audit", "signals")) {
                String series = "sekisho_outbox_backlog{stream=\"" + stream + "\"}";
                while (AuditOutageTest.metric(suite, service, series) > 0) {
                    assertTrue(System.nanoTime() < deadline, service.module() + " keeps " + series);
                    Ports.sleep(500);
                }
            }
        }
        Ports.sleep(3_000); // the exporters' last batches of what went before
        int before = collector.spans().size();
        Ports.sleep(10_000);
        List<CollectedSpan> all = collector.spans();
        List<String> polling = all.subList(Math.min(before, all.size()), all.size()).stream()
                .filter(s -> !s.service().equals("keycloak"))
                .filter(s -> POLLS.contains(s.name()) || s.kind().equals("CLIENT") && s.parentSpanId().isEmpty())
                .map(s -> s.service() + " " + s.name()).toList();
        assertEquals(List.of(), polling, "spans of idle polling");
    }

    private static final Set<String> POLLS = Set.of("xreadgroup", "xautoclaim", "xlen", "xpending");

    /**
     * What is missing of the batches that wrote the appends' records (null when nothing): each append is the parent or a
     * link of one {@code audit batch write} span, and each of those holds an {@code INSERT audit_event} client span.
     */
    private static String unwritten(List<CollectedSpan> everything, Set<String> appends) {
        List<CollectedSpan> batches = everything.stream().filter(s -> s.service().equals("audit-service")
                && s.name().equals("audit batch write")
                && (appends.contains(s.parentSpanId()) || s.links().stream().anyMatch(appends::contains))).toList();
        long written = batches.stream().mapToLong(b -> (appends.contains(b.parentSpanId()) ? 1 : 0)
                + b.links().stream().filter(appends::contains).count()).sum();
        if (written != appends.size()) {
            return written + " of the trace's " + appends.size() + " audit records in a batch span";
        }
        for (CollectedSpan batch : batches) {
            if (everything.stream().noneMatch(s -> s.traceId().equals(batch.traceId()) && s.parentSpanId().equals(batch.spanId())
                    && s.kind().equals("CLIENT") && s.name().startsWith("INSERT audit_event"))) {
                return "no PostgreSQL INSERT beneath the batch\n" + TraceCollector.tree(TraceCollector.ofTrace(everything, batch.traceId()));
            }
        }
        return null;
    }

    private static boolean has(List<CollectedSpan> spans, String service, Predicate<CollectedSpan> matching) {
        return spans.stream().anyMatch(s -> s.service().equals(service) && matching.test(s));
    }

    private static List<CollectedSpan> await(TraceCollector collector, String traceId, Predicate<List<CollectedSpan>> complete) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            List<CollectedSpan> trace = collector.trace(traceId);
            if (complete.test(trace)) {
                Ports.sleep(3_000); // the last batches of every exporter
                return collector.trace(traceId);
            }
            assertTrue(System.nanoTime() < deadline, () -> "the trace is not whole:\n" + TraceCollector.tree(trace) + logins(collector));
            Ports.sleep(500);
        }
    }

    /** What the collector holds of logins, whatever their trace: whether a login's spans came in another trace or not at all. */
    private static String logins(TraceCollector collector) {
        List<CollectedSpan> all = collector.spans();
        return "\nthe collector holds " + all.size() + " spans; the last of auth-service's token requests, of the budget checks"
                + " ratelimit-service served and of Keycloak's token grants (trace, parent, name):\n"
                + last(all, s -> s.service().equals("auth-service") && s.kind().equals("SERVER") && s.name().contains("auth/token"))
                + last(all, s -> s.service().equals("ratelimit-service") && s.kind().equals("SERVER") && s.name().endsWith("ShouldRateLimit"))
                + last(all, s -> s.service().equals("keycloak") && s.kind().equals("SERVER") && s.name().contains("token"));
    }

    private static String last(List<CollectedSpan> all, Predicate<CollectedSpan> which) {
        List<String> found = all.stream().filter(which).map(s -> "  " + s.traceId() + " " + s.parentSpanId() + " " + s.name() + "\n").toList();
        return String.join("", found.subList(Math.max(0, found.size() - 6), found.size()));
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        random[0] |= 1; // never all zero (an invalid id)
        return HexFormat.of().formatHex(random);
    }
}
