package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.SharedServers;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * Governance across the real services: what an admin does in Keycloak (disable a user, grant a role) is read by
 * auth-service from Keycloak's admin events, recorded in audit-service and signalled to alert-service; a disabled
 * owner's integrations are suspended by secrets-service and their keys refused at the gateway until an approver
 * assigns a new owner; an access review asks each user's manager (from Keycloak) and flags what nobody confirmed.
 */
class GovernanceAcrossServicesTest {

    private static final String PASSWORD = "Governed-Owner-2026-pass";
    private static Suite suite;

    @BeforeAll
    static void startTheSuite() {
        suite = RunningSuite.get();
    }

    private static RequestSpecification secrets(String token) {
        return given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(token).contentType(ContentType.JSON);
    }

    private static String admin() {
        return KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
    }

    @Test
    void anOwnerDisabledInKeycloakTakesTheirIntegrationsKeysOutOfTheGatewayUntilANewOwnerIsAssigned() {
        String owner = "owner-" + UUID.randomUUID().toString().substring(0, 8);
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(owner, PASSWORD, null, List.of("operator"))));
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String approver = Registry.approver();
        String integration = secrets(operator).body(Map.of("name", "it-" + owner, "owner", owner, "department", "sales",
                "purpose", "leads to the CRM", "dataClasses", List.of("internal"), "destinations", List.of("crm.example.com")))
                .post("/v1/integrations").then().statusCode(201).extract().path("id");
        secrets(approver).body("{}").post("/v1/integrations/" + integration + "/approve").then().statusCode(200);
        secrets(admin()).post("/v1/integrations/" + integration + "/activate").then().statusCode(200).body("state", equalTo("active"));
        String key = secrets(operator).body(Map.of("name", "crm", "owner", owner, "integrationId", integration, "scopes", List.of("operator")))
                .post("/v1/apikeys").then().statusCode(201).extract().path("key");

        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", suite.port(SekishoService.AUTH)).usePlaintext().build();
        try {
            var authz = AuthorizationGrpc.newBlockingStub(channel);
            assertEquals(0, authz.check(check(key)).getStatus().getCode(), "the key opens the route");

            KeycloakAdmin.setEnabled(owner, false);
            await(Duration.ofSeconds(120), () -> "suspended".equals(secrets(operator).get("/v1/integrations/" + integration).then()
                    .statusCode(200).extract().path("state")) ? true : null, "the leaver's integration suspended");
            secrets(operator).get("/v1/integrations/" + integration).then().body("suspendedFor", equalTo("owner_left"));
            assertEquals(401, authz.check(check(key)).getDeniedResponse().getStatus().getCodeValue(), "its key is refused at the gateway");

            String auditor = KeycloakTokens.auditor();
            Map<String, Object> disabled = await(Duration.ofSeconds(60), () -> events(auditor, Map.of("action", "auth.permission.changed",
                    "resourceId", owner)).stream().filter(e -> "user.disabled".equals(attributes(e).get("change"))).findFirst().orElse(null),
                    "the disable in Keycloak in the audit log");
            assertEquals("auth-service", disabled.get("service"));
            Map<String, Object> suspended = await(Duration.ofSeconds(60), () -> events(auditor, Map.of("action", "integration.suspended",
                    "resourceId", integration)).stream().findFirst().orElse(null), "the suspension in the audit log");
            assertEquals("svc-auth", ((Map<?, ?>) suspended.get("actor")).get("id"), "asked by auth-service, for the leaver");
            assertEquals("owner_left", attributes(suspended).get("cause"));

            secrets(approver).body(Map.of("owner", KeycloakTokens.DEMO, "reason", "sales took it over"))
                    .post("/v1/integrations/" + integration + "/owner").then().statusCode(200).body("state", equalTo("active"));
            assertEquals(0, authz.check(check(key)).getStatus().getCode(), "under its new owner the key works again");
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void anAdminRoleGrantedInKeycloakIsAuditedAndRaisesAnAlert() {
        String user = "granted-" + UUID.randomUUID().toString().substring(0, 8);
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(user, PASSWORD, null, List.of("auditor"))));
        KeycloakAdmin.grantRealmRole(user, "admin");
        String auditor = KeycloakTokens.auditor();
        try {
            Map<String, Object> granted = await(Duration.ofSeconds(120), () -> events(auditor, Map.of("action", "auth.permission.changed",
                    "resourceId", user)).stream().filter(e -> "role.granted".equals(attributes(e).get("change"))).findFirst().orElse(null),
                    "the grant in the audit log");
            assertEquals("admin", attributes(granted).get("roles"));
            Map<?, ?> alert = await(Duration.ofSeconds(120), () -> given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                    .queryParam("rule", "sekisho-auth-admin-granted").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                    .<Map<?, ?>>getList("alerts").stream().filter(a -> user.equals(((Map<?, ?>) a.get("labels")).get("target")))
                    .findFirst().orElse(null), "the alert on the admin grant");
            assertEquals("admin", ((Map<?, ?>) alert.get("labels")).get("roles"));
        } finally {
            KeycloakAdmin.setEnabled(user, false);
        }
    }

    @Test
    void anAccessReviewAsksEachManagerAndFlagsWhatNobodyConfirmedByTheDeadline() throws SQLException {
        String alice = admin();
        JsonPath started = secrets(alice).body(Map.of("scope", "access", "days", 14, "note", "quarterly access review")).post("/v1/reviews")
                .then().statusCode(201).extract().jsonPath();
        String review = started.getString("id");
        assertEquals(KeycloakTokens.ALICE, started.getString("items.find { it.itemId == 'demo' }.reviewer"), "demo's manager, from Keycloak");
        assertTrue(started.<String>getList("items.find { it.itemId == 'demo' }.detail").contains("operator"));
        String items = "/v1/reviews/" + review + "/items/access/";
        secrets(Registry.approver()).post(items + "demo/confirm").then().statusCode(403).contentType("application/problem+json");
        secrets(alice).body(Map.of("note", "still on the orders team")).post(items + "demo/confirm").then().statusCode(200);

        PostgresServer.Connection db = SharedServers.postgres().withDatabase(SekishoService.SECRETS.database());
        try (var connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                var update = connection.prepareStatement("update review_campaign set deadline = now() - interval '1 second' where id = ?")) {
            update.setString(1, review);
            assertEquals(1, update.executeUpdate());
        }
        JsonPath closed = await(Duration.ofSeconds(180), () -> {
            JsonPath c = secrets(alice).get("/v1/reviews/" + review).then().statusCode(200).extract().jsonPath();
            return "closed".equals(c.getString("state")) ? c : null;
        }, "the review closed at its deadline");
        assertEquals("confirmed", closed.getString("items.find { it.itemId == 'demo' }.decision"));
        assertEquals(KeycloakTokens.ALICE, closed.getString("items.find { it.itemId == 'demo' }.decidedBy"));
        assertEquals("flagged", closed.getString("items.find { it.itemId == 'bob' }.decision"), "bob's roles: nobody confirmed them");
        String csv = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(KeycloakTokens.auditor())
                .get("/v1/reviews/" + review + "/export.csv").then().statusCode(200).extract().asString();
        assertTrue(csv.lines().anyMatch(l -> l.startsWith(review + ",access,demo,demo,alice,") && l.contains(",confirmed,alice,")), csv);
        assertFalse(csv.contains("Sekisho-"), "no password in the evidence");
        String auditor = KeycloakTokens.auditor();
        await(Duration.ofSeconds(120), () -> given().baseUri(suite.url(SekishoService.ALERT)).auth().oauth2(auditor)
                .queryParam("rule", "sekisho-review-user-flagged").get("/v1/alerts").then().statusCode(200).extract().jsonPath()
                .<Map<?, ?>>getList("alerts").stream().filter(a -> "bob".equals(((Map<?, ?>) a.get("labels")).get("user"))
                        && review.equals(((Map<?, ?>) a.get("labels")).get("review"))).findFirst().orElse(null),
                "the alert on bob's unconfirmed roles");
    }

    /** A machine client named by an integration is one of its credentials: suspended with it, at the gateway within a second. */
    @Test
    void aServiceClientsTokensStopAtTheGatewayWhileItsIntegrationIsSuspended() {
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String approver = Registry.approver();
        String integration = secrets(operator).body(Map.of("name", "it-worker-" + UUID.randomUUID().toString().substring(0, 8),
                "department", "logistics", "purpose", "the demo integration's worker", "dataClasses", List.of("internal"),
                "destinations", List.of("wms.example.com"), "serviceClients", List.of("demo-integration")))
                .post("/v1/integrations").then().statusCode(201).extract().path("id");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", suite.port(SekishoService.AUTH)).usePlaintext().build();
        try {
            secrets(approver).body("{}").post("/v1/integrations/" + integration + "/approve").then().statusCode(200);
            String token = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON)
                    .body(Map.of("client_id", "demo-integration", "client_secret", "demo-integration-dev-secret"))
                    .post("/v1/auth/service-token").then().statusCode(200).extract().path("access_token");
            var authz = AuthorizationGrpc.newBlockingStub(channel);
            assertEquals(0, authz.check(bearer(token)).getStatus().getCode(), "approved: the client's token passes");

            secrets(approver).body(Map.of("reason", "vendor incident")).post("/v1/integrations/" + integration + "/suspend").then()
                    .statusCode(200);
            Ports.sleep(1100); // the gateway takes a client's standing as known for a second
            var refused = authz.check(bearer(token));
            assertEquals(401, refused.getDeniedResponse().getStatus().getCodeValue(), "suspended: refused at the gateway");
            assertFalse(refused.getDeniedResponse().getBody().contains(token), "nothing echoed");

            secrets(approver).body("{}").post("/v1/integrations/" + integration + "/resume").then().statusCode(200);
            Ports.sleep(1100);
            assertEquals(0, authz.check(bearer(token)).getStatus().getCode(), "resumed: the token passes again");
        } finally {
            channel.shutdownNow();
            secrets(operator).body(Map.of("reason", "test over")).post("/v1/integrations/" + integration + "/retire").then().statusCode(200);
        }
    }

    private static CheckRequest bearer(String token) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress("203.0.113.31").setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath("/api/wms/stock").putHeaders("authorization", "Bearer " + token)))
                .putContextExtensions("sekisho.required_role", "operator")).build();
    }

    private static List<Map<String, Object>> events(String auditor, Map<String, String> query) {
        return given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor).queryParams(query).queryParam("limit", 100)
                .get("/v1/audit/events").then().statusCode(200).extract().jsonPath().getList("events");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> attributes(Map<String, Object> event) {
        return (Map<String, Object>) event.getOrDefault("attributes", Map.of());
    }

    private static CheckRequest check(String apiKey) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress("203.0.113.30").setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("POST").setPath("/api/crm/leads").putHeaders("x-api-key", apiKey)))
                .putContextExtensions("sekisho.required_role", "operator")).build();
    }

    private static <T> T await(Duration within, Supplier<T> probe, String what) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            T found = probe.get();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within " + within + ": " + what);
            }
            Ports.sleep(500);
        }
    }
}
