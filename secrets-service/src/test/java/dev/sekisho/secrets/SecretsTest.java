package dev.sekisho.secrets;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Versioned secrets on real PostgreSQL and Keycloak: envelope encryption, check-and-set, policies and their audit. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class SecretsTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    /** Tokens live five minutes; a shared one is renewed well before. */
    private static final long REUSE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(200);
    private static String operatorToken;
    private static long operatorSince;
    private static String adminToken;
    private static long adminSince;

    /** The operator's token, shared by the tests of a run (each login spends a one-time code, and waits for one). */
    static synchronized String operatorToken() {
        if (operatorToken == null || System.nanoTime() - operatorSince > REUSE_NANOS) {
            operatorToken = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
            operatorSince = System.nanoTime();
        }
        return operatorToken;
    }

    static RequestSpecification asOperator() {
        return given().auth().oauth2(operatorToken()).contentType(ContentType.JSON);
    }

    static synchronized RequestSpecification asAdmin() {
        if (adminToken == null || System.nanoTime() - adminSince > REUSE_NANOS) {
            adminToken = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
            adminSince = System.nanoTime();
        }
        return given().auth().oauth2(adminToken).contentType(ContentType.JSON);
    }

    private static String integration;

    /** An approved integration of the registry, proposed by the operator and approved by erin: what API keys are issued to. */
    static synchronized String approvedIntegration() {
        if (integration == null) {
            integration = asOperator().body(Map.of("name", unique("tests").toLowerCase(java.util.Locale.ROOT), "department", "engineering",
                    "purpose", "the secrets-service tests' keys", "dataClasses", List.of("internal"), "destinations", List.of("tests.example.com")))
                    .post("/v1/integrations").then().statusCode(201).extract().path("id");
            IntegrationsTest.asApprover().post("/v1/integrations/" + integration + "/approve").then().statusCode(200);
        }
        return integration;
    }

    /** An API key's creation body, given to the approved integration unless it names one. */
    static Map<String, Object> governed(Map<String, ?> body) {
        Map<String, Object> governed = new java.util.HashMap<>(body);
        governed.putIfAbsent("integrationId", approvedIntegration());
        return governed;
    }

    static String unique(String prefix) {
        return prefix + "-" + Long.toString(System.nanoTime(), 36);
    }

    /**
     * A burst of requests with one token just after its last revocation check went stale: one of them asks the
     * revocation list, the others rely on the last answer, and none is refused for want of a Redis connection.
     */
    @Test
    void aBurstWithOneTokenIsAnsweredWhole() throws Exception {
        asOperator().get("/v1/secrets?prefix=integrations/").then().statusCode(200);
        Thread.sleep(600); // past sekisho.tokens.revocation-check-interval
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                answers.add(pool.submit(() -> asOperator().get("/v1/secrets?prefix=integrations/&limit=1").statusCode()));
            }
            for (Future<Integer> answer : answers) {
                assertEquals(200, answer.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Reads in parallel: each answered, each with its own audit record, none lost between threads or connections. */
    @Test
    void concurrentReadsAreEachAnsweredAndAudited() throws Exception {
        String path = "integrations/" + unique("parallel");
        asOperator().body(Map.of("data", Map.of("k", "parallel-value"))).put("/v1/secrets/" + path).then().statusCode(200);
        long before = maxOutboxId();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(pool.submit(() -> {
                    var response = asOperator().get("/v1/secrets/" + path);
                    return response.statusCode() == 200 ? "200" : response.statusCode() + " " + response.body().asString();
                }));
            }
            for (Future<String> answer : answers) {
                assertEquals("200", answer.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(200, auditEventsAfter(before).stream().filter(e -> e.getAction().equals("secret.read")
                && e.getResource().getId().equals(path)).count());
    }

    @Test
    void versionsAreKeptReadAndNamedByTheirAuthor() {
        String path = "integrations/" + unique("crm");
        asOperator().body(Map.of("data", Map.of("token", "first-value"))).put("/v1/secrets/" + path).then().statusCode(200)
                .body("version", equalTo(1)).body("createdBy", equalTo(KeycloakTokens.DEMO));
        asOperator().body(Map.of("data", Map.of("token", "second-value", "user", "svc"))).put("/v1/secrets/" + path).then()
                .statusCode(200).body("version", equalTo(2));
        asOperator().get("/v1/secrets/" + path).then().statusCode(200)
                .body("version", equalTo(2)).body("data.token", equalTo("second-value")).body("data.user", equalTo("svc"));
        asOperator().get("/v1/secrets/" + path + "?version=1").then().statusCode(200).body("data.token", equalTo("first-value"));
        asOperator().get("/v1/secrets/" + path + "?version=9").then().statusCode(404).contentType("application/problem+json");
        asOperator().get("/v1/secrets?prefix=integrations/").then().statusCode(200).body("paths", hasItem(path));
    }

    /** gRPC reads go through the same policies and audit as REST. */
    @Test
    void getSecretOverGrpcIsTheSameRead() throws Exception {
        String path = "integrations/" + unique("grpc");
        asOperator().body(Map.of("data", Map.of("token", "over-grpc"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().get("/v1/secrets/" + path).then().statusCode(200); // warms the operator token
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + operatorToken);
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()
                .intercept(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)).build();
        try {
            var secrets = dev.sekisho.secrets.v1.SecretsGrpc.newBlockingStub(channel);
            var value = secrets.getSecret(dev.sekisho.secrets.v1.GetSecretRequest.newBuilder().setPath(path).build());
            assertEquals("over-grpc", value.getDataOrThrow("token"));
            assertEquals(1, value.getVersion());
            var denied = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class, () -> secrets.getSecret(
                    dev.sekisho.secrets.v1.GetSecretRequest.newBuilder().setPath("finance/anything").build()));
            assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
            var bad = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class, () -> secrets.getSecret(
                    dev.sekisho.secrets.v1.GetSecretRequest.newBuilder().setPath("../etc/passwd").build()));
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aSecretWithAnAllowListIsReadOnlyFromItsAddresses() throws Exception {
        String path = "integrations/" + unique("allowed");
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().body(Map.of("allowedCidrs", List.of("203.0.113.0/24", "2001:db8::/32"))).put("/v1/secrets/metadata/" + path)
                .then().statusCode(200).body("allowedCidrs", equalTo(List.of("203.0.113.0/24", "2001:db8::/32")));
        long before = maxOutboxId();
        asOperator().get("/v1/secrets/" + path).then().statusCode(403).contentType("application/problem+json");
        asOperator().header("X-Forwarded-For", "198.51.100.4").get("/v1/secrets/" + path).then().statusCode(403);
        asOperator().header("X-Forwarded-For", "203.0.113.77").get("/v1/secrets/" + path).then().statusCode(200).body("data.k", equalTo("v"));
        asOperator().header("X-Forwarded-For", "2001:db8::5").get("/v1/secrets/" + path).then().statusCode(200);
        List<AuditEvent> refused = auditEventsAfter(before).stream()
                .filter(e -> e.getOutcome() == Outcome.OUTCOME_DENIED && e.getResource().getId().equals(path)).toList();
        assertEquals(2, refused.size(), refused.toString());
        assertEquals("198.51.100.4", refused.get(1).getActor().getIp());
        assertTrue(signalsAfter(before).stream().anyMatch(s -> "ip_not_allowed".equals(s.getLabelsOrDefault("reason", ""))));
        asOperator().body(Map.of("allowedCidrs", List.of("not-a-block"))).put("/v1/secrets/metadata/" + path).then().statusCode(400);
    }

    @Test
    void aCheckAndSetConflictIs409AndChangesNothing() throws Exception {
        String path = "integrations/" + unique("cas");
        asOperator().body(Map.of("data", Map.of("k", "v1"), "cas", 0)).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().body(Map.of("data", Map.of("k", "v2"), "cas", 0)).put("/v1/secrets/" + path).then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("https://sekisho.dev/problems/conflict"));
        asOperator().get("/v1/secrets/" + path).then().body("version", equalTo(1)).body("data.k", equalTo("v1"));
        asOperator().body(Map.of("casRequired", true)).put("/v1/secrets/metadata/" + path).then().statusCode(200);
        asOperator().body(Map.of("data", Map.of("k", "v2"))).put("/v1/secrets/" + path).then().statusCode(400);
        asOperator().body(Map.of("data", Map.of("k", "v2"), "cas", 1)).put("/v1/secrets/" + path).then().statusCode(200)
                .body("version", equalTo(2));
        assertEquals(2, count("select count(*) from secret_version where path = '" + path + "'"));
    }

    @Test
    void concurrentWritersNeverLoseAVersion() throws Exception {
        String path = "integrations/" + unique("race");
        asOperator().body(Map.of("maxVersions", 100)).put("/v1/secrets/metadata/" + path).then().statusCode(200);
        int writers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> versions = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                Callable<Integer> write = () -> asOperator().body(Map.of("data", Map.of("n", String.valueOf(n))))
                        .put("/v1/secrets/" + path).then().statusCode(200).extract().path("version");
                versions.add(pool.submit(write));
            }
            Set<Integer> seen = new TreeSet<>();
            for (Future<Integer> version : versions) {
                seen.add(version.get());
            }
            assertEquals(writers, seen.size(), "every writer got a version of its own: " + seen);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(writers, count("select count(*) from secret_version where path = '" + path + "'"));
        asOperator().get("/v1/secrets/metadata/" + path).then().body("currentVersion", equalTo(writers));
    }

    @Test
    void olderVersionsThanMaxVersionsAreGone() {
        String path = "integrations/" + unique("trim");
        asOperator().body(Map.of("maxVersions", 2)).put("/v1/secrets/metadata/" + path).then().statusCode(200);
        for (int i = 1; i <= 4; i++) {
            asOperator().body(Map.of("data", Map.of("n", "v" + i))).put("/v1/secrets/" + path).then().statusCode(200);
        }
        asOperator().get("/v1/secrets/" + path + "?version=2").then().statusCode(404);
        asOperator().get("/v1/secrets/" + path + "?version=3").then().statusCode(200).body("data.n", equalTo("v3"));
    }

    @Test
    void softDeleteUndeleteAndDestroy() throws Exception {
        String path = "integrations/" + unique("life");
        asOperator().body(Map.of("data", Map.of("k", "one"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().body(Map.of("data", Map.of("k", "two"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().delete("/v1/secrets/" + path).then().statusCode(200).body("versions", equalTo(List.of(2)));
        asOperator().get("/v1/secrets/" + path).then().statusCode(404);
        asOperator().get("/v1/secrets/" + path + "?version=1").then().statusCode(200);
        asOperator().body(Map.of("versions", List.of(2))).post("/v1/secrets/undelete/" + path).then().statusCode(200)
                .body("versions", equalTo(List.of(2)));
        asOperator().get("/v1/secrets/" + path).then().statusCode(200).body("data.k", equalTo("two"));
        asOperator().body(Map.of("versions", List.of(1))).post("/v1/secrets/destroy/" + path).then().statusCode(403);
        asAdmin().body(Map.of("versions", List.of(1))).post("/v1/secrets/destroy/" + path).then().statusCode(200)
                .body("versions", equalTo(List.of(1)));
        asOperator().get("/v1/secrets/" + path + "?version=1").then().statusCode(404);
        assertEquals(1, count("select count(*) from secret_version where path = '" + path + "' and version = 1 "
                + "and ciphertext is null and wrapped_key is null and nonce is null"));
    }

    @Test
    void metadataIsReadableWithListButTheValueIsNot() {
        String path = "integrations/" + unique("meta");
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().body(Map.of("owner", "team-integrations", "description", "CRM token", "rotationPeriodSeconds", 86400,
                "customMetadata", Map.of("system", "crm"))).put("/v1/secrets/metadata/" + path).then().statusCode(200);
        var auditor = given().auth().oauth2(KeycloakTokens.auditor());
        auditor.get("/v1/secrets/metadata/" + path).then().statusCode(200)
                .body("owner", equalTo("team-integrations")).body("customMetadata.system", equalTo("crm"))
                .body("versions[0].createdBy", equalTo(KeycloakTokens.DEMO)).body("$", not(org.hamcrest.Matchers.hasKey("data")));
        given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/secrets/" + path).then().statusCode(403)
                .contentType("application/problem+json");
        asOperator().body(Map.of("customMetadata", Map.of("k".repeat(600), "v"))).put("/v1/secrets/metadata/" + path).then()
                .statusCode(400);
    }

    @Test
    void policiesDecidePerCapabilityAndPrefixAndEveryDenialIsAudited() throws Exception {
        String path = "finance/" + unique("bank");
        asAdmin().body(Map.of("data", Map.of("iban", "DE00"))).put("/v1/secrets/" + path).then().statusCode(200);
        long before = maxOutboxId();
        asOperator().get("/v1/secrets/" + path).then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("https://sekisho.dev/problems/forbidden"));
        asOperator().get("/v1/secrets/finance/no-such-secret").then().statusCode(403); // no hint whether it exists
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/finance/" + unique("new")).then().statusCode(403);
        asOperator().get("/v1/secrets/shared/readme").then().statusCode(404); // read granted, nothing there
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/shared/readme").then().statusCode(403);
        given().get("/v1/secrets/" + path).then().statusCode(401).contentType("application/problem+json");
        List<AuditEvent> denied = auditEventsAfter(before).stream().filter(e -> e.getOutcome() == Outcome.OUTCOME_DENIED).toList();
        assertEquals(4, denied.size(), denied.toString());
        AuditEvent first = denied.get(0);
        assertEquals("secret.read", first.getAction());
        assertEquals(path, first.getResource().getId());
        assertEquals(KeycloakTokens.DEMO, first.getActor().getId());
        assertTrue(signalsAfter(before).stream().anyMatch(s -> s.getKind().equals("secret.denied")), "denials are signalled");
    }

    @Test
    void readsAndWritesAreAuditedWithAKeyedHashNeverTheValue() throws Exception {
        String path = "integrations/" + unique("audited");
        String value = "value-" + System.nanoTime();
        long before = maxOutboxId();
        asOperator().body(Map.of("data", Map.of("password", value))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().get("/v1/secrets/" + path).then().statusCode(200);
        List<AuditEvent> events = auditEventsAfter(before).stream().filter(e -> e.getResource().getId().equals(path)).toList();
        assertEquals(List.of("secret.write", "secret.read"), events.stream().map(AuditEvent::getAction).toList());
        String written = events.get(0).getAttributesOrThrow("value_hmac");
        assertTrue(written.startsWith("hmac-sha256:"), written);
        assertEquals(written, events.get(1).getAttributesOrThrow("value_hmac"), "the same value, the same hash");
        assertEquals("1", events.get(1).getAttributesOrThrow("version"));
        for (AuditEvent event : events) {
            assertFalse(event.toString().contains(value), "the value is in no audit record");
        }
    }

    @Test
    void badInputIsAClearProblemAndStoresNothing() throws Exception {
        String path = "integrations/" + unique("bad");
        asOperator().body(Map.of("data", Map.of("k", "x".repeat(70_000)))).put("/v1/secrets/" + path).then().statusCode(413)
                .contentType("application/problem+json");
        asOperator().body(Map.of("data", Map.of())).put("/v1/secrets/" + path).then().statusCode(400);
        asOperator().body("{\"data\": {\"k\": 1").put("/v1/secrets/" + path).then().statusCode(400);
        asOperator().get("/v1/secrets/" + path + "?version=-1").then().statusCode(400);
        asOperator().get("/v1/secrets/" + path + "?version=abc").then().statusCode(404);
        assertEquals(0, count("select count(*) from secret where path = '" + path + "'"));
        // refused as not canonical (400); or, for dot segments and doubled slashes, resolved by the HTTP layer before
        // routing (RFC 3986) to another canonical path that the policy then decides (403, or 404 where nothing is)
        for (String refused : List.of("integrations%2Fcrm", "Integrations/crm", "undelete", "integrations/crm%00")) {
            asOperator().urlEncodingEnabled(false).get("/v1/secrets/" + refused).then().statusCode(400);
        }
        for (String trick : List.of("integrations/..%2Fadmin", "integrations%2Fcrm", "Integrations/crm", "integrations/%2e%2e/x",
                "integrations//crm", "metadata")) {
            String body = asOperator().urlEncodingEnabled(false).get("/v1/secrets/" + trick).then()
                    .statusCode(org.hamcrest.Matchers.oneOf(400, 403, 404)).contentType("application/problem+json").extract().asString();
            assertFalse(io.restassured.path.json.JsonPath.from(body).getString("detail").contains(trick), "not echoed: " + body);
        }
    }

    @Test
    void aDatabaseDumpHoldsNoValueNoDataKeyAndNoMasterKey() throws Exception {
        String path = "integrations/" + unique("dump");
        String value = "plain-" + System.nanoTime();
        asOperator().body(Map.of("data", Map.of("password", value))).put("/v1/secrets/" + path).then().statusCode(200);
        String dump = dump();
        byte[] master = Base64.getDecoder().decode("gF/pcV/Mo/gKH0MShKsEllAhQsoX1ke/OI58Ugzi3/8=");
        for (String needle : List.of(value, Base64.getEncoder().encodeToString(value.getBytes()), HexFormat.of().formatHex(value.getBytes()),
                Base64.getEncoder().encodeToString(master), HexFormat.of().formatHex(master))) {
            assertFalse(dump.contains(needle), "found in the database: " + needle.substring(0, 6) + "...");
        }
        // the data key, recovered with the master key outside the database, is not in it either
        byte[] dataKey = DataKeys.unwrap(path, 1, master);
        assertFalse(dump.contains(HexFormat.of().formatHex(dataKey)));
        assertFalse(dump.contains(Base64.getEncoder().encodeToString(dataKey)));
    }

    @Test
    void tamperedCiphertextOrAMovedVersionIsRefusedClearly() throws Exception {
        String path = "integrations/" + unique("tamper");
        asOperator().body(Map.of("data", Map.of("k", "one"))).put("/v1/secrets/" + path).then().statusCode(200);
        asOperator().body(Map.of("data", Map.of("k", "two"))).put("/v1/secrets/" + path).then().statusCode(200);
        execute("update secret_version set ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) "
                + "where path = '" + path + "' and version = 1");
        long before = maxOutboxId();
        asOperator().get("/v1/secrets/" + path + "?version=1").then().statusCode(500).contentType("application/problem+json")
                .body("type", equalTo("https://sekisho.dev/problems/integrity-failure"));
        assertTrue(auditEventsAfter(before).stream().anyMatch(e -> e.getOutcome() == Outcome.OUTCOME_ERROR
                && e.getResource().getId().equals(path)), "the failed read is recorded");
        assertTrue(signalsAfter(before).stream().anyMatch(s -> s.getKind().equals("secret.tampered")), "and signalled");
        // version 2's sealed bytes copied over version 1 (a "rollback" by an insider): refused, not served as version 1
        execute("update secret_version v1 set nonce = v2.nonce, ciphertext = v2.ciphertext, wrapped_key = v2.wrapped_key "
                + "from secret_version v2 where v1.path = '" + path + "' and v2.path = v1.path and v1.version = 1 and v2.version = 2");
        asOperator().get("/v1/secrets/" + path + "?version=1").then().statusCode(500)
                .body("type", equalTo("https://sekisho.dev/problems/integrity-failure"));
        asOperator().get("/v1/secrets/" + path + "?version=2").then().statusCode(200).body("data.k", equalTo("two"));
    }

    // --- helpers: the database as an insider (or a dump) sees it

    static Connection jdbc() throws SQLException {
        PostgresServer.Connection c = SharedServers.postgres();
        return DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password());
    }

    static long count(String sql) throws SQLException {
        try (Connection c = jdbc(); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void execute(String sql) throws SQLException {
        try (Connection c = jdbc(); var st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static long maxOutboxId() throws SQLException {
        return count("select coalesce(max(id), 0) from sekisho_outbox");
    }

    static List<AuditEvent> auditEventsAfter(long id) throws Exception {
        List<AuditEvent> events = new ArrayList<>();
        for (byte[] payload : outboxAfter(id, "audit")) {
            events.add(AuditEvent.parseFrom(payload));
        }
        return events;
    }

    static List<dev.sekisho.alert.v1.SecuritySignal> signalsAfter(long id) throws Exception {
        List<dev.sekisho.alert.v1.SecuritySignal> signals = new ArrayList<>();
        for (byte[] payload : outboxAfter(id, "signal")) {
            signals.add(dev.sekisho.alert.v1.SecuritySignal.parseFrom(payload));
        }
        return signals;
    }

    private static List<byte[]> outboxAfter(long id, String streamPart) throws SQLException {
        List<byte[]> payloads = new ArrayList<>();
        try (Connection c = jdbc(); var st = c.prepareStatement(
                "select payload from sekisho_outbox where id > ? and stream like ? order by id")) {
            st.setLong(1, id);
            st.setString(2, "%" + streamPart + "%");
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    payloads.add(rs.getBytes(1));
                }
            }
        }
        return payloads;
    }

    /** Every row of every table of the public schema as text: what a dump would hold. */
    static String dump() throws SQLException {
        StringBuilder text = new StringBuilder();
        try (Connection c = jdbc(); var st = c.createStatement();
                ResultSet tables = st.executeQuery("select tablename from pg_tables where schemaname = 'public'")) {
            List<String> names = new ArrayList<>();
            while (tables.next()) {
                names.add(tables.getString(1));
            }
            for (String table : names) {
                try (var rows = c.createStatement().executeQuery("select t::text from \""
                        + table + "\" t")) {
                    while (rows.next()) {
                        text.append(rows.getString(1)).append('\n');
                    }
                }
            }
        }
        return text.toString();
    }
}
