package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TraceCollector;
import dev.sekisho.testing.servers.TraceCollector.CollectedSpan;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.http.ContentType;

/**
 * Sekisho's whole story against the real suite (the five services as {@code ./sekisho up} starts them, as processes):
 * a person logs in with MFA and calls a rate-limited API through the gateway's ext_authz until limited; registers an
 * integration, which two approvers approve (it carries personal data), and gives it an API key; the integration reads
 * its secret with the key from an allowed address and is refused from another; a brute force on
 * another account raises alerts that reach the security team's webhook, signed, and the attacker's address is blocked
 * at the gateway while the person's is not; a key nobody used shows in the stale report and the used one does not;
 * the audit log holds all of it and its chain verifies from the story's first record on; and every request is one trace, its own, whole. REST Assured
 * for REST, generated stubs for gRPC. No password, code, token or key is in a span, a notification or an answer.
 */
class TheWholeStoryTest {

    private static final String ROUTE_BUDGET = "story-orders-per-subject";
    private static final int ROUTE_LIMIT = 5; // src/test/resources/policies/story.yaml

    private final Suite suite = RunningSuite.get();
    private final SecurityTeamWebhook team = RunningSuite.webhook();
    private final TraceCollector collector = SharedServers.traces();
    private final String run = hex(4);
    private final String auditor = KeycloakTokens.auditor();

    @Test
    void aDayAtTheGate() throws Exception {
        String person = "story-" + run;
        String password = "Story-" + run + "-Passw0rd";
        String totp = "story-totp-" + run;
        String victim = "story-victim-" + run;
        String victimPassword = "Victim-" + run + "-Passw0rd";
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(person, password, totp),
                new KeycloakAdmin.NewUser(victim, victimPassword, "story-victim-totp-" + run)));
        String personIp = "203.0.113." + ThreadLocalRandom.current().nextInt(1, 255);

        // 1. a person logs in with MFA and calls the orders API through the gateway until the route's budget is spent
        String loginTrace = hex(16);
        String code = Totp.fresh(totp);
        String access = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                .header("traceparent", traceparent(loginTrace)).header("X-Forwarded-For", personIp)
                .body(Map.of("username", person, "password", password, "totp", code))
                .post("/v1/auth/token").then().statusCode(200).extract().path("access_token");
        List<Integer> answers = new ArrayList<>();
        String limitedTrace = null;
        ManagedChannel auth = channel(SekishoService.AUTH);
        try {
            while (!answers.contains(429) && answers.size() <= ROUTE_LIMIT + 1) {
                String trace = hex(16);
                CheckResponse answer = authz(auth, trace).check(gatewayCheck("authorization", "Bearer " + access, personIp,
                        Map.of("sekisho.required_role", "operator", "sekisho.rate_policy", ROUTE_BUDGET)));
                if (answer.hasOkResponse()) {
                    answers.add(200);
                    assertEquals(person, header(answer, "x-sekisho-username"), "the upstream learns who calls");
                } else {
                    answers.add(answer.getDeniedResponse().getStatus().getCodeValue());
                    limitedTrace = trace;
                    assertTrue(answer.getDeniedResponse().getHeadersList().stream()
                            .anyMatch(h -> h.getHeader().getKey().equals("Retry-After")), answer.toString());
                }
            }
        } finally {
            auth.shutdownNow();
        }
        assertEquals(List.of(200, 200, 200, 200, 200, 429), answers, "five calls within the route's budget, then 429");

        // 2. the person keeps a secret for an integration and gives it an API key for its addresses; the integration reads
        // it with the key from there, and is refused from elsewhere
        String path = "integrations/story-" + run + "/crm";
        String secretValue = "crm-" + run + "-S3cret";
        given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(access).contentType(ContentType.JSON)
                .body(Map.of("data", Map.of("password", secretValue))).put("/v1/secrets/" + path).then().statusCode(200);
        // the integration is registered first; it carries personal data, so two approvers (neither of them the person)
        // approve it before it may have a key
        String integration = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(access).contentType(ContentType.JSON)
                .body(Map.of("name", "crm-sync-" + run, "department", "sales", "purpose", "customer records to the CRM",
                        "dataClasses", List.of("personal"), "destinations", List.of("crm.example.com")))
                .post("/v1/integrations").then().statusCode(201).body("approvalsRequired", org.hamcrest.Matchers.equalTo(2))
                .extract().path("id");
        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        for (String approver : List.of(Registry.approver(), admin)) {
            given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(approver).contentType(ContentType.JSON).body("{}")
                    .post("/v1/integrations/" + integration + "/approve").then().statusCode(200);
        }
        Map<String, Object> used = apiKey(access, "crm sync " + run, integration, List.of("203.0.113.0/24"));
        Map<String, Object> forgotten = apiKey(access, "forgotten export " + run, integration, List.of());
        String key = (String) used.get("key");
        String readTrace = hex(16);
        given().baseUri(suite.url(SekishoService.SECRETS)).header("X-API-Key", key).header("X-Forwarded-For", "203.0.113.77")
                .header("traceparent", traceparent(readTrace)).get("/v1/secrets/" + path)
                .then().statusCode(200).body("data.password", org.hamcrest.Matchers.equalTo(secretValue));
        String refusedTrace = hex(16);
        String refusal = given().baseUri(suite.url(SekishoService.SECRETS)).header("X-API-Key", key)
                .header("X-Forwarded-For", "198.51.100.77").header("traceparent", traceparent(refusedTrace))
                .get("/v1/secrets/" + path).then().statusCode(401).contentType("application/problem+json").extract().asString();
        assertFalse(refusal.contains(secretValue) || refusal.contains(key), refusal);

        // 3. someone tries passwords on another account from one address, is told to stop (429) and goes on
        String attacker = "198.18." + ThreadLocalRandom.current().nextInt(0, 256) + "." + ThreadLocalRandom.current().nextInt(1, 255);
        int refused = 0;
        int limited = 0;
        for (int attempt = 0; limited < 5 && attempt < 40; attempt++) {
            int status = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", attacker)
                    .body(Map.of("username", victim, "password", "guess-" + attempt, "totp", "000000"))
                    .post("/v1/auth/token").then().extract().statusCode();
            if (status == 401) {
                refused++;
            } else {
                assertEquals(429, status, "a guess is refused (401) or, past the attempt budget, throttled (429)");
                limited++;
            }
        }
        assertEquals(10, refused, "ten guesses reach Keycloak (login-per-user and login-per-ip allow ten), the rest are throttled");
        assertEquals(5, limited);
        // the security team hears of both alerts, signed with the webhook's secret
        SecurityTeamWebhook.Notification bruteForce = await("the brute-force alert at the webhook", Duration.ofSeconds(180),
                () -> notification("sekisho-auth-brute-force-user", victim));
        SecurityTeamWebhook.Notification goingOn = await("the past-the-budget alert at the webhook", Duration.ofSeconds(180),
                () -> notification("sekisho-auth-attempts-past-budget", attacker));
        for (SecurityTeamWebhook.Notification sent : List.of(bruteForce, goingOn)) {
            assertFalse(sent.body().contains("guess-") || sent.body().contains(victimPassword), "no password in a notification");
        }
        // and the attacker's address is refused at the gateway and at the login, the person's is not
        assertEquals(RateLimitResponse.Code.OVER_LIMIT, await("the attacker's address blocked at the gateway", Duration.ofSeconds(90),
                () -> gatewayDecision(attacker) == RateLimitResponse.Code.OVER_LIMIT ? RateLimitResponse.Code.OVER_LIMIT : null));
        assertEquals(RateLimitResponse.Code.OK, gatewayDecision(personIp), "the person's address is not blocked");

        // 4. a hundred days on (the keys' creation set back in secrets-service's database), the key nobody used is in
        // the stale report and the integration's is not
        String usedId = (String) used.get("id");
        String forgottenId = (String) forgotten.get("id");
        ageKeys(List.of(usedId, forgottenId), 100);
        String reportTrace = hex(16);
        List<Map<String, Object>> stale = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(auditor)
                .header("traceparent", traceparent(reportTrace)).queryParam("unusedDays", 90).get("/v1/secrets/reports/stale")
                .then().statusCode(200).extract().jsonPath().getList("apiKeys");
        Map<String, Object> finding = stale.stream().filter(k -> forgottenId.equals(k.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("the unused key is not in the report: " + stale));
        assertTrue(((List<?>) finding.get("findings")).contains("unused"), finding.toString());
        assertEquals("team-story", finding.get("owner"));
        assertTrue(stale.stream().noneMatch(k -> usedId.equals(k.get("id")) && ((List<?>) k.get("findings")).contains("unused")),
                "the key the integration used is not unused: " + stale);

        // 5. the audit log holds all of it, each request's records under that request's own trace, and verifies
        assertEquals(Set.of("auth.login.succeeded"), recorded(loginTrace, Set.of("auth.login.succeeded")), "the login");
        assertEquals(Set.of("auth.check.denied"), recorded(limitedTrace, Set.of("auth.check.denied")), "the throttled call");
        assertEquals(Set.of("apikey.verified", "secret.read"), recorded(readTrace, Set.of("apikey.verified", "secret.read")),
                "the integration's read");
        assertEquals(Set.of("apikey.verified"), recorded(refusedTrace, Set.of("apikey.verified")), "the refused read");
        assertEquals(Set.of("secret.report.stale"), recorded(reportTrace, Set.of("secret.report.stale")), "the report");
        Map<String, Object> read = events(Map.of("traceId", readTrace, "action", "secret.read")).get(0);
        assertEquals("apikey:" + usedId, ((Map<?, ?>) read.get("actor")).get("id"), "the read is the key's");
        assertEquals(path, ((Map<?, ?>) read.get("resource")).get("id"));
        Map<String, Object> keyRefused = events(Map.of("traceId", refusedTrace, "action", "apikey.verified")).get(0);
        assertEquals("denied", keyRefused.get("outcome"));
        assertEquals("ip_not_allowed", keyRefused.get("reason"));
        assertEquals(10, await("the ten refused guesses", Duration.ofSeconds(60), () -> {
            List<Map<String, Object>> failed = events(Map.of("action", "auth.login.failed", "ip", attacker));
            return failed.size() >= 10 ? failed.size() : null;
        }));
        assertTrue(await("the throttled guesses", Duration.ofSeconds(60),
                () -> events(Map.of("action", "auth.login.limited", "ip", attacker)).size() >= 5 ? true : null));
        Map<?, ?> block = await("the block in the audit log", Duration.ofSeconds(60),
                () -> events(Map.of("action", "alert.playbook.block_ip")).stream()
                        .filter(e -> attacker.equals(((Map<?, ?>) e.get("attributes")).get("target"))).findFirst().orElse(null));
        assertEquals("alert-service", block.get("service"));
        assertEquals("success", block.get("outcome"));
        assertEquals(2, await("the integration's two approvals", Duration.ofSeconds(60), () -> {
            long approvals = events(Map.of("action", "integration.approval", "resourceId", integration)).size();
            return approvals == 2 ? approvals : null;
        }));
        // the chain verifies from the story's first record on (the suite's chain before it may hold the cut that
        // AuditInsiderRestartTest makes on purpose, named by verify as it should be)
        Number firstSeq = (Number) events(Map.of("traceId", loginTrace, "action", "auth.login.succeeded")).get(0).get("seq");
        Map<String, Object> verified = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                .queryParam("from", firstSeq.longValue()).get("/v1/audit/verify").then().statusCode(200).extract().as(Map.class);
        assertEquals(Boolean.TRUE, verified.get("valid"), verified.toString());

        // 6. every request is a trace of its own: the services it went through report their spans under its id
        assertTraced(loginTrace, Set.of("auth-service", "ratelimit-service", "keycloak", "audit-service"));
        assertTraced(limitedTrace, Set.of("auth-service", "ratelimit-service", "audit-service"));
        assertTraced(readTrace, Set.of("secrets-service", "audit-service"));
        assertTraced(refusedTrace, Set.of("secrets-service", "audit-service"));
        for (CollectedSpan span : collector.spans()) {
            String text = span.name() + " " + span.attributes();
            for (String credential : List.of(password, victimPassword, code, access, key, secretValue)) {
                assertFalse(text.contains(credential), "a credential in span " + span.name() + " of " + span.service());
            }
        }
        assertEquals(0, team.refused(), "every notification the webhook got was signed with its secret");
    }

    private Map<String, Object> apiKey(String token, String name, String integration, List<String> cidrs) {
        return given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(token).contentType(ContentType.JSON)
                .body(Map.of("name", name, "owner", "team-story", "integrationId", integration, "scopes", List.of("operator"),
                        "allowedCidrs", cidrs))
                .post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
    }

    /** Sets the keys' creation back, as if they were made that many days ago. */
    private static void ageKeys(List<String> ids, int days) throws SQLException {
        PostgresServer.Connection db = SharedServers.postgres().withDatabase(SekishoService.SECRETS.database());
        try (var connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                var update = connection.prepareStatement("update api_key set created_at = created_at - make_interval(days => ?) where id = any(?)")) {
            update.setInt(1, days);
            update.setArray(2, connection.createArrayOf("text", ids.toArray()));
            assertEquals(ids.size(), update.executeUpdate());
        }
    }

    /** The actions audit-service holds under a trace, once every expected one is there. */
    private Set<String> recorded(String traceId, Set<String> expected) {
        return await("the audit records of trace " + traceId + " " + expected, Duration.ofSeconds(60), () -> {
            Set<String> actions = events(Map.of("traceId", traceId)).stream().map(e -> (String) e.get("action"))
                    .collect(Collectors.toSet());
            return actions.containsAll(expected) ? actions : null;
        });
    }

    private List<Map<String, Object>> events(Map<String, String> query) {
        return given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor).queryParams(query).queryParam("limit", 500)
                .get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
    }

    private SecurityTeamWebhook.Notification notification(String rule, String label) {
        return team.received().stream().filter(n -> n.body().contains(rule) && n.body().contains(label)).findFirst().orElse(null);
    }

    /**
     * The request's trace holds the spans of every service it went through, and one root: the span it came with (the
     * traceparent's), below which everything else hangs.
     */
    private void assertTraced(String traceId, Set<String> services) {
        List<CollectedSpan>[] last = new List[1];
        try {
            await("the spans of trace " + traceId + " from " + services + ", under one root", Duration.ofSeconds(60), () -> {
                List<CollectedSpan> trace = collector.trace(traceId);
                last[0] = trace;
                return trace.stream().map(CollectedSpan::service).collect(Collectors.toSet()).containsAll(services) && roots(trace) == 1
                        ? trace : null;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + TraceCollector.tree(last[0]), e);
        }
    }

    /** The parents a trace's spans name that are not spans of the trace. */
    private static long roots(List<CollectedSpan> trace) {
        Set<String> ids = trace.stream().map(CollectedSpan::spanId).collect(Collectors.toSet());
        return trace.stream().map(CollectedSpan::parentSpanId).filter(p -> !ids.contains(p)).distinct().count();
    }

    private static CheckRequest gatewayCheck(String header, String value, String sourceIp, Map<String, String> route) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(sourceIp).setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath("/api/orders?page=1").putHeaders(header, value)))
                .putAllContextExtensions(route)).build();
    }

    private static AuthorizationGrpc.AuthorizationBlockingStub authz(ManagedChannel channel, String traceId) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent(traceId));
        return AuthorizationGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static String header(CheckResponse answer, String name) {
        return answer.getOkResponse().getHeadersList().stream().filter(h -> h.getHeader().getKey().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + answer)).getHeader().getValue();
    }

    private RateLimitResponse.Code gatewayDecision(String ip) {
        ManagedChannel channel = channel(SekishoService.RATELIMIT);
        try {
            return RateLimitServiceGrpc.newBlockingStub(channel).shouldRateLimit(RateLimitRequest.newBuilder().setDomain("gateway")
                    .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder()
                            .setKey("remote_address").setValue(ip)))
                    .build()).getOverallCode();
        } finally {
            channel.shutdownNow();
        }
    }

    private ManagedChannel channel(SekishoService service) {
        URI uri = URI.create(suite.url(service));
        return ManagedChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build();
    }

    private static String traceparent(String traceId) {
        return "00-" + traceId + "-" + hex(8) + "-01";
    }

    private static <T> T await(String what, Duration within, Supplier<T> probe) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            T found = probe.get();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not seen within " + within);
            }
            Ports.sleep(500);
        }
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        random[0] |= 1; // never all zero (an invalid id)
        return HexFormat.of().formatHex(random);
    }
}
