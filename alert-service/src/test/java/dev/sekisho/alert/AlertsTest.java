package dev.sekisho.alert;

import static dev.sekisho.alert.AlertTesting.alerts;
import static dev.sekisho.alert.AlertTesting.asAuditor;
import static dev.sekisho.alert.AlertTesting.asOperator;
import static dev.sekisho.alert.AlertTesting.auditEventsAfter;
import static dev.sekisho.alert.AlertTesting.channel;
import static dev.sekisho.alert.AlertTesting.count;
import static dev.sekisho.alert.AlertTesting.eventually;
import static dev.sekisho.alert.AlertTesting.maxOutboxId;
import static dev.sekisho.alert.AlertTesting.signal;
import static dev.sekisho.alert.AlertTesting.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.SignalAck;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * alert-service with real PostgreSQL, Redis and Keycloak: signals from services' own identities fire the shipped
 * detections (brute force, password spraying, failures then success) once, with their evidence; alerts are read,
 * acknowledged and resolved by the roles allowed to; bad signals change nothing.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class AlertsTest {

    static final String BRUTE = "sekisho-auth-brute-force-user";
    static final String SPRAY = "sekisho-auth-password-spraying";
    static final String THEN = "sekisho-auth-failures-then-success";

    @TestHTTPResource("/")
    java.net.URL url;

    private ManagedChannel auth;
    private AlertsGrpc.AlertsBlockingStub fromAuth;

    @BeforeEach
    void connect() {
        auth = channel(url, KeycloakTokens.service("auth"));
        fromAuth = AlertsGrpc.newBlockingStub(auth);
    }

    @AfterEach
    void close() {
        auth.shutdownNow();
    }

    static SecuritySignal failed(String user, String ip) {
        return signal("auth.login.failed", Map.of("user", user, "ip", ip));
    }

    @Test
    void fiveFailedLoginsForOneUserFireOneAlertWithTheirEvidence() throws Exception {
        String user = unique("victim");
        long outbox = maxOutboxId();
        List<SecuritySignal> sent = new ArrayList<>();
        List<SignalAck> acks = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            SecuritySignal s = failed(user, "198.51.100." + (i + 1));
            sent.add(s);
            acks.add(fromAuth.signal(s));
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(0, acks.get(i).getAlertIdsCount(), "no alert before the fifth failure");
        }
        assertEquals(1, acks.get(4).getAlertIdsCount(), "the fifth failure fires");
        String alertId = acks.get(4).getAlertIds(0);
        assertEquals(0, acks.get(5).getAlertIdsCount(), "the rule stays quiet for its timespan once fired");
        assertEquals(1, alerts(BRUTE, user), "one alert");

        var detail = asAuditor().get("/v1/alerts/" + alertId).then().statusCode(200)
                .body("alert.rule", equalTo(BRUTE)).body("alert.state", equalTo("firing")).body("alert.severity", equalTo("high"))
                .body("alert.labels.user", equalTo(user)).body("alert.labels.rule", equalTo("brute_force_user"))
                .body("alert.occurrences", equalTo(1)).extract();
        List<String> evidence = detail.path("evidence.firings[0].evidence.signalId");
        assertEquals(Set.copyOf(sent.subList(0, 5).stream().map(SecuritySignal::getSignalId).toList()), Set.copyOf(evidence),
                "the evidence is the five signals that fired it");
        List<String> traces = detail.path("evidence.traceIds");
        assertTrue(traces.contains(sent.get(0).getTraceId()), "with their trace ids");
        List<String> queries = detail.path("evidence.auditQueries");
        assertTrue(queries.contains("/v1/audit/events?traceId=" + sent.get(0).getTraceId()));
        List<String> history = detail.path("history.action");
        assertEquals(List.of("fired"), history);

        List<AuditEvent> audited = auditEventsAfter(outbox).stream().filter(e -> e.getAction().equals("alert.fired")).toList();
        assertEquals(1, audited.size(), "the alert's opening is audited once");
        assertEquals(alertId, audited.get(0).getResource().getId());
        assertEquals(BRUTE, audited.get(0).getAttributesOrThrow("rule"));

        // a replay of a signal already counted is a duplicate and changes nothing
        SignalAck replay = fromAuth.signal(sent.get(4));
        assertTrue(replay.getDuplicate());
        // so are the replays of signals that fired nothing (the correlation script marked them seen itself)
        assertTrue(fromAuth.signal(sent.get(0)).getDuplicate(), "a failure counted before the firing");
        assertTrue(fromAuth.signal(sent.get(5)).getDuplicate(), "a failure counted after it");
        assertEquals(1, count("select occurrences from alert where id = ?::uuid", alertId));
    }

    @Test
    void concurrentFailuresFireOnce() throws Exception {
        String user = unique("raced");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<SignalAck>> acks = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < 16; i++) {
                acks.add(pool.submit(() -> {
                    start.await();
                    return fromAuth.signal(failed(user, "192.0.2.7"));
                }));
            }
            start.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<SignalAck> ack : acks) {
                ids.addAll(ack.get(60, TimeUnit.SECONDS).getAlertIdsList());
            }
            assertEquals(1, ids.size(), "sixteen failures at once fire the rule once");
            assertEquals(1, alerts(BRUTE, user));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void passwordSprayingFromOneAddressFires() throws Exception {
        String ip = "203.0.113." + (int) (Math.random() * 250 + 1);
        String batch = unique("spray");
        SignalAck last = null;
        for (int i = 0; i < 9; i++) {
            last = fromAuth.signal(failed(batch + "-user" + i, ip));
            assertEquals(0, last.getAlertIdsCount(), "nine users are not yet ten");
        }
        // the same user again adds no distinct value
        assertEquals(0, fromAuth.signal(failed(batch + "-user0", ip)).getAlertIdsCount());
        last = fromAuth.signal(failed(batch + "-user9", ip));
        assertEquals(1, last.getAlertIdsCount(), "the tenth distinct user fires");
        asAuditor().get("/v1/alerts/" + last.getAlertIds(0)).then().statusCode(200)
                .body("alert.rule", equalTo(SPRAY)).body("alert.labels.ip", equalTo(ip));
    }

    @Test
    void loginsGoingOnPastTheAttemptBudgetFire() throws Exception {
        String ip = "192.0.2." + (int) (Math.random() * 250 + 1);
        String user = unique("hammered");
        for (int i = 0; i < 4; i++) {
            assertEquals(0, fromAuth.signal(signal("auth.login.limited", Map.of("user", user, "ip", ip))).getAlertIdsCount(),
                    "four refusals are not yet five");
        }
        assertEquals(0, fromAuth.signal(signal("auth.login.limited", Map.of("user", user, "ip", "192.0.2.0"))).getAlertIdsCount(),
                "another address counts apart");
        SignalAck fifth = fromAuth.signal(signal("auth.login.limited", Map.of("user", user, "ip", ip)));
        assertEquals(1, fifth.getAlertIdsCount(), "the fifth from one address fires");
        asAuditor().get("/v1/alerts/" + fifth.getAlertIds(0)).then().statusCode(200)
                .body("alert.rule", equalTo("sekisho-auth-attempts-past-budget")).body("alert.labels.ip", equalTo(ip));
    }

    @Test
    void sprayingSignalsArrivingTogetherFireOnce() throws Exception {
        // as an outbox delivers them: side by side
        String ip = "203.0.113." + (int) (Math.random() * 250 + 1);
        String batch = unique("together");
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<SignalAck>> acks = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < 10; i++) {
                String user = batch + "-user" + i;
                acks.add(pool.submit(() -> {
                    start.await();
                    return fromAuth.signal(failed(user, ip));
                }));
            }
            start.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<SignalAck> ack : acks) {
                ids.addAll(ack.get(60, TimeUnit.SECONDS).getAlertIdsList());
            }
            assertEquals(1, ids.size(), "ten users failing at once from one address fire the spraying rule once");
            assertEquals(1, alerts(SPRAY, ip));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failuresThenASuccessForTheSameUserFire() throws Exception {
        String user = unique("guessed");
        for (int i = 0; i < 3; i++) {
            assertEquals(0, fromAuth.signal(failed(user, "198.51.100.9")).getAlertIdsCount());
        }
        SignalAck success = fromAuth.signal(signal("auth.login.succeeded", Map.of("user", user, "ip", "198.51.100.9")));
        assertEquals(1, success.getAlertIdsCount(), "the success after repeated failures fires");
        var detail = asAuditor().get("/v1/alerts/" + success.getAlertIds(0)).then().statusCode(200)
                .body("alert.rule", equalTo(THEN)).body("alert.severity", equalTo("critical")).extract();
        List<String> evidence = detail.path("evidence.firings[0].evidence.signalId");
        assertTrue(evidence.size() >= 2, "the success and the failures behind the first step: " + evidence);

        String lucky = unique("lucky");
        assertEquals(0, fromAuth.signal(signal("auth.login.succeeded", Map.of("user", lucky, "ip", "198.51.100.9"))).getAlertIdsCount(),
                "a success alone fires nothing");
        // a success before the failures is not the pattern
        String early = unique("early");
        fromAuth.signal(signal("auth.login.succeeded", Map.of("user", early, "ip", "198.51.100.9")));
        for (int i = 0; i < 3; i++) {
            assertEquals(0, fromAuth.signal(failed(early, "198.51.100.9")).getAlertIdsCount());
        }
        assertEquals(0, alerts(THEN, early));
    }

    @Test
    void acknowledgedAndResolvedByOperatorsOnlyAndAudited() throws Exception {
        String user = unique("acked");
        String alertId = null;
        for (int i = 0; i < 5; i++) {
            SignalAck ack = fromAuth.signal(failed(user, "198.51.100.20"));
            if (ack.getAlertIdsCount() > 0) {
                alertId = ack.getAlertIds(0);
            }
        }
        assertTrue(alertId != null);
        long outbox = maxOutboxId();
        asAuditor().body("{}").post("/v1/alerts/" + alertId + "/ack").then().statusCode(403);
        given().contentType(ContentType.JSON).body("{}").post("/v1/alerts/" + alertId + "/ack").then().statusCode(401);
        asOperator().body("{\"note\":\"looking\"}").post("/v1/alerts/" + alertId + "/ack").then().statusCode(200)
                .body("state", equalTo("acknowledged")).body("acknowledgedBy", equalTo(KeycloakTokens.DEMO));
        asOperator().body("{}").post("/v1/alerts/" + alertId + "/ack").then().statusCode(409)
                .contentType("application/problem+json");
        asOperator().body("{\"note\":\"password reset\"}").post("/v1/alerts/" + alertId + "/resolve").then().statusCode(200)
                .body("state", equalTo("resolved"));
        List<String> actions = auditEventsAfter(outbox).stream().map(AuditEvent::getAction).toList();
        assertEquals(List.of("alert.acknowledged", "alert.resolved"), actions);
        asAuditor().get("/v1/alerts/" + alertId).then().statusCode(200)
                .body("history.action", equalTo(List.of("fired", "acknowledged", "resolved")))
                .body("history[1].actor", equalTo(KeycloakTokens.DEMO)).body("history[1].detail", equalTo("looking"));
        asAuditor().get("/v1/alerts?state=resolved&rule=" + BRUTE).then().statusCode(200).body("alerts.id", hasItem(alertId));
        asAuditor().get("/v1/alerts?state=firing&rule=" + BRUTE).then().statusCode(200).body("alerts.id", not(hasItem(alertId)));
        asOperator().body("{\"note\":\"" + "x".repeat(600) + "\"}").post("/v1/alerts/" + alertId + "/resolve").then().statusCode(400);
        asAuditor().get("/v1/alerts/not-an-id").then().statusCode(404);
        asAuditor().get("/v1/alerts?state=burning").then().statusCode(400).contentType("application/problem+json");
        asAuditor().get("/v1/alerts?since=yesterday").then().statusCode(400);
    }

    @Test
    void badSignalsAreRefusedAndChangeNothing() throws Exception {
        String user = unique("bad");
        long before = count("select count(*) from alert");
        List<SecuritySignal> bad = List.of(
                signal("auth.login.exploded", Map.of("user", user, "ip", "1.2.3.4")),
                signal("auth.login.failed", Map.of("user", user)),
                signal("auth.login.failed", Map.of("user", user, "ip", "1.2.3.4", "huge", "v".repeat(1_000_000))),
                signal("auth.login.failed", Map.of("user", user, "ip", "1.2.3.4", "Bad Name", "x")),
                failed(user, "1.2.3.4").toBuilder().setSignalId("not-a-uuid").build(),
                failed(user, "1.2.3.4").toBuilder().setTraceId("zz").build(),
                signal("auth.login.failed", Map.of("user", user, "ip", "1.2.3.4"), Instant.now().plusSeconds(3600)));
        for (SecuritySignal s : bad) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> fromAuth.signal(s), s.getKind());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().getDescription());
            assertFalse(e.getStatus().getDescription().contains(user), "nothing echoed back");
        }
        for (int i = 0; i < 5; i++) {
            assertThrows(StatusRuntimeException.class, () -> fromAuth.signal(failed(user, "1.2.3.4").toBuilder().setSignalId("x").build()));
        }
        assertEquals(before, count("select count(*) from alert"), "refused signals count toward nothing");
        // REST: a problem, nothing echoed
        String body = given().auth().oauth2(KeycloakTokens.service("ratelimit")).contentType(ContentType.JSON)
                .body("{\"signalId\":\"" + java.util.UUID.randomUUID() + "\",\"kind\":\"auth.login.failed\",\"labels\":{\"user\":\"" + user + "\"}}")
                .post("/v1/signals").then().statusCode(400).contentType("application/problem+json").extract().asString();
        assertFalse(body.contains(user));
    }

    @Test
    void onlyServiceIdentitiesWithThePermissionSendSignals() {
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
                () -> AlertsGrpc.newBlockingStub(io.grpc.ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build())
                        .signal(failed("x", "1.2.3.4")));
        assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
        ManagedChannel person = channel(url, AlertTesting.person(KeycloakTokens.DEMO));
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> AlertsGrpc.newBlockingStub(person).signal(failed("x", "1.2.3.4")));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), "a person holds no alert:signal");
        } finally {
            person.shutdownNow();
        }
        given().contentType(ContentType.JSON).body("{}").post("/v1/signals").then().statusCode(401);
        given().get("/v1/alerts").then().statusCode(401);
        given().auth().oauth2(KeycloakTokens.service("auth")).get("/v1/alerts").then().statusCode(403);
    }

    @Test
    void theEmitterIsTheCallersIdentityNotThePayload() throws Exception {
        // a rule for auth-service's signals ignores a signal that says it is auth-service but comes from ratelimit-service
        String user = unique("forged");
        ManagedChannel ratelimit = channel(url, KeycloakTokens.service("ratelimit"));
        try {
            var stub = AlertsGrpc.newBlockingStub(ratelimit);
            for (int i = 0; i < 6; i++) {
                assertEquals(0, stub.signal(failed(user, "1.2.3.4").toBuilder().setService("auth-service").build()).getAlertIdsCount());
            }
        } finally {
            ratelimit.shutdownNow();
        }
        assertEquals(0, alerts(BRUTE, user));
    }

    @Test
    void aStreamOfSignalsIsAcknowledgedSignalBySignal() throws Exception {
        String user = unique("streamed");
        List<SecuritySignal> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(failed(user + (i % 10), "198.51.100.77"));
        }
        List<SignalAck> acks = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        StreamObserver<SecuritySignal> out = AlertsGrpc.newStub(auth).signalStream(new StreamObserver<>() {
            @Override
            public void onNext(SignalAck ack) {
                acks.add(ack);
            }

            @Override
            public void onError(Throwable t) {
                failure[0] = t;
                done.countDown();
            }

            @Override
            public void onCompleted() {
                done.countDown();
            }
        });
        sent.forEach(out::onNext);
        out.onCompleted();
        assertTrue(done.await(60, TimeUnit.SECONDS));
        assertEquals(null, failure[0]);
        assertEquals(sent.stream().map(SecuritySignal::getSignalId).collect(java.util.stream.Collectors.toSet()),
                acks.stream().map(SignalAck::getSignalId).collect(java.util.stream.Collectors.toSet()), "each signal acknowledged");
        // ten users, five failures each: ten brute-force alerts
        for (int i = 0; i < 10; i++) {
            assertEquals(1, alerts(BRUTE, user + i), "user " + i);
        }

        // an invalid signal ends the stream with INVALID_ARGUMENT
        CountDownLatch ended = new CountDownLatch(1);
        Throwable[] error = new Throwable[1];
        StreamObserver<SecuritySignal> bad = AlertsGrpc.newStub(auth).signalStream(new StreamObserver<>() {
            @Override
            public void onNext(SignalAck ack) {
            }

            @Override
            public void onError(Throwable t) {
                error[0] = t;
                ended.countDown();
            }

            @Override
            public void onCompleted() {
                ended.countDown();
            }
        });
        bad.onNext(signal("no.such.kind", Map.of()));
        bad.onCompleted();
        assertTrue(ended.await(60, TimeUnit.SECONDS));
        assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(error[0]).getCode());
    }

    @Test
    void aHeartbeatThatStopsFiresItsAbsence() throws Exception {
        String instance = unique("test-instance");
        fromAuth.signal(signal("service.heartbeat", Map.of("instance", instance), Instant.now().minusSeconds(30)));
        assertTrue(eventually(30, () -> alerts("test-silent", instance) == 1), "the silent instance is noticed");
        Thread.sleep(2500); // a few more passes of the watch
        assertEquals(1, alerts("test-silent", instance), "and fired once");
        String alive = unique("test-instance");
        fromAuth.signal(signal("service.heartbeat", Map.of("instance", alive), Instant.now().plusSeconds(60)));
        Thread.sleep(2500);
        assertEquals(0, alerts("test-silent", alive), "an instance heard from within the timespan is not silent");
    }

    @Test
    void aSurgeAgainstTheLearnedBaselineFires() throws Exception {
        String route = "/test/" + unique("route");
        Instant t0 = Instant.ofEpochMilli((System.currentTimeMillis() / 10_000) * 10_000).minusSeconds(60);
        // three quiet buckets of two, then a burst of twelve in the fourth
        for (int bucket = 0; bucket < 3; bucket++) {
            for (int i = 0; i < 2; i++) {
                assertEquals(0, fromAuth.signal(signal("ratelimit.limited", Map.of("route", route), t0.plusSeconds(10L * bucket + i)))
                        .getAlertIdsCount());
            }
        }
        List<Integer> fired = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            fired.add(fromAuth.signal(signal("ratelimit.limited", Map.of("route", route), t0.plusSeconds(30 + (i % 9))))
                    .getAlertIdsCount());
        }
        assertEquals(List.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), fired, "fires when the bucket reaches ten, three times the baseline");
    }

    @Test
    void rulesAreListedAndValidatedBeforeDeployment() {
        asAuditor().get("/v1/rules").then().statusCode(200)
                .body("rules.id", hasItem(BRUTE)).body("rules.id", hasItem("test-silent"))
                .body("rules.find { it.id == '" + SPRAY + "' }.type", equalTo("value_count"))
                .body("rules.find { it.id == 'sekisho-auth-login-failed' }.generatesAlerts", equalTo(false));
        asOperator().contentType(ContentType.TEXT).body("""
                title: t
                id: t
                logsource: {product: sekisho}
                detection:
                  s: {kind|re: '.*'}
                  condition: s
                """).post("/v1/rules/validate").then().statusCode(200)
                .body("valid", equalTo(false)).body("line", equalTo(5))
                .body("error", org.hamcrest.Matchers.containsString("regular expressions are not supported"));
        asOperator().contentType(ContentType.TEXT).body("""
                title: t
                id: t
                logsource: {product: sekisho}
                detection:
                  s: {kind: auth.login.failed}
                  condition: s
                """).post("/v1/rules/validate").then().statusCode(200).body("valid", equalTo(true)).body("rules", equalTo(1));
        asAuditor().contentType(ContentType.TEXT).body("title: t").post("/v1/rules/validate").then().statusCode(403);
    }
}
