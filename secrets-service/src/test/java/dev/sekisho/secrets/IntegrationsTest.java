package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.count;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.signalsAfter;
import static dev.sekisho.secrets.SecretsTest.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * The integration registry: proposed by an operator, approved by an approver who is not the requester (two for
 * sensitive data), activated by its owner, suspended and resumed by approvers, retired; every step audited and
 * signalled, every step out of order or by the wrong person refused with nothing changed.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class IntegrationsTest {

    private static String approverToken;

    static synchronized RequestSpecification asApprover() {
        if (approverToken == null) {
            approverToken = KeycloakTokens.user(KeycloakTokens.ERIN, KeycloakTokens.ERIN_PASSWORD, KeycloakTokens.ERIN_TOTP);
        }
        return given().auth().oauth2(approverToken).contentType(ContentType.JSON);
    }

    private static Map<String, Object> proposal(String name, List<String> dataClasses) {
        return Map.of("name", name, "department", "sales", "purpose", "Sync customer records to the CRM nightly",
                "dataClasses", dataClasses, "destinations", List.of("crm.example.com", "api.crm.example.com:443"));
    }

    private static String name() {
        return unique("crm-sync").toLowerCase(java.util.Locale.ROOT);
    }

    @Test
    void anIntegrationIsProposedApprovedByAnotherActivatedSuspendedResumedAndRetired() throws Exception {
        long before = maxOutboxId();
        String id = asOperator().body(proposal(name(), List.of("internal"))).post("/v1/integrations").then().statusCode(201)
                .body("state", equalTo("proposed")).body("owner", equalTo(KeycloakTokens.DEMO))
                .body("requestedBy", equalTo(KeycloakTokens.DEMO)).body("approvalsRequired", equalTo(1))
                .extract().path("id");
        asOperator().post("/v1/integrations/" + id + "/approve").then().statusCode(403).contentType("application/problem+json");
        asOperator().post("/v1/integrations/" + id + "/activate").then().statusCode(409).contentType("application/problem+json")
                .body("detail", containsString("proposed"));
        asApprover().body(Map.of("note", "checked the data flow with sales")).post("/v1/integrations/" + id + "/approve").then()
                .statusCode(200).body("state", equalTo("approved")).body("approvals[0].approver", equalTo(KeycloakTokens.ERIN));
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(409);
        asOperator().post("/v1/integrations/" + id + "/activate").then().statusCode(200).body("state", equalTo("active"));
        asApprover().body(Map.of("reason", "the CRM vendor reported a breach")).post("/v1/integrations/" + id + "/suspend").then()
                .statusCode(200).body("state", equalTo("suspended")).body("stateReason", equalTo("the CRM vendor reported a breach"));
        asApprover().body(Map.of("reason", "vendor cleared")).post("/v1/integrations/" + id + "/resume").then().statusCode(200)
                .body("state", equalTo("active"));
        asOperator().body(Map.of("reason", "replaced by the new CRM")).post("/v1/integrations/" + id + "/retire").then().statusCode(200)
                .body("state", equalTo("retired"));
        asOperator().post("/v1/integrations/" + id + "/retire").then().statusCode(409);

        List<String> actions = auditEventsAfter(before).stream().filter(e -> e.getResource().getId().equals(id))
                .map(AuditEvent::getAction).toList();
        assertEquals(List.of("integration.proposed", "integration.approval", "integration.approved", "integration.activated",
                "integration.suspended", "integration.resumed", "integration.retired"), actions);
        List<SecuritySignal> signals = signalsAfter(before).stream().filter(s -> id.equals(s.getLabelsOrDefault("integration", ""))).toList();
        assertEquals(List.of("integration.proposed", "integration.approved", "integration.activated", "integration.suspended",
                "integration.resumed", "integration.retired"), signals.stream().map(SecuritySignal::getKind).toList());
        assertEquals(Severity.SEVERITY_WARNING, signals.get(3).getSeverity(), "a suspension is a warning");
        given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/integrations/" + id).then().statusCode(200)
                .body("approvals[0].note", equalTo("checked the data flow with sales"));
    }

    /** Credentials only for approved connections: no key for a proposed integration, none working while it is suspended. */
    @Test
    void keysAreIssuedToApprovedIntegrationsOnlyAndRefusedWhileTheirsIsSuspended() throws Exception {
        String id = asOperator().body(proposal(name(), List.of("internal"))).post("/v1/integrations").then().statusCode(201)
                .extract().path("id");
        long keys = count("select count(*) from api_key");
        Map<String, Object> key = Map.of("name", "crm sync", "owner", "team-crm", "integrationId", id, "scopes", List.of("operator"));
        asOperator().body(key).post("/v1/apikeys").then().statusCode(409).body("detail", containsString("proposed"));
        asOperator().body(Map.of("name", "crm sync", "owner", "team-crm", "integrationId", "aaaaaaaaaaaaaaaa", "scopes", List.of("operator")))
                .post("/v1/apikeys").then().statusCode(400);
        assertEquals(keys, count("select count(*) from api_key"), "no key for an integration not approved");

        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200);
        String apiKey = asOperator().body(key).post("/v1/apikeys").then().statusCode(201).body("integrationId", equalTo(id))
                .extract().path("key");
        String path = "integrations/" + name();
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
        given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(200);

        asApprover().body(Map.of("reason", "under review")).post("/v1/integrations/" + id + "/suspend").then().statusCode(200);
        long before = maxOutboxId();
        given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(401);
        AuditEvent refused = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("apikey.verified")).findFirst().orElseThrow();
        assertEquals("integration_suspended", refused.getReason());
        asApprover().post("/v1/integrations/" + id + "/resume").then().statusCode(200);
        given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(200);
    }

    @Test
    void theDataFlowViewSaysWhichDataGoesWhereThroughWhichKeys() throws Exception {
        String name = name();
        String id = asOperator().body(Map.of("name", name, "department", "finance", "purpose", "card payments to the processor",
                "dataClasses", List.of("payment"), "destinations", List.of("pay.example.com"))).post("/v1/integrations").then()
                .statusCode(201).extract().path("id");
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200);
        asAdmin().post("/v1/integrations/" + id + "/approve").then().statusCode(200).body("state", equalTo("approved"));
        String keyId = asOperator().body(Map.of("name", "processor", "owner", "team-pay", "integrationId", id, "scopes", List.of("operator")))
                .post("/v1/apikeys").then().statusCode(201).extract().path("id");
        long before = maxOutboxId();
        var flows = given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/integrations/flows").then().statusCode(200).extract().jsonPath();
        assertTrue(flows.<String>getList("byDataClass.payment.'pay.example.com'").contains(name), flows.prettify());
        assertEquals(List.of(keyId), flows.getList("flows.find { it.integrationId == '" + id + "' }.credentials.id"));
        assertEquals("active", flows.getString("flows.find { it.integrationId == '" + id + "' }.credentials[0].state"));
        assertTrue(auditEventsAfter(before).stream().anyMatch(e -> e.getAction().equals("integration.flows.read")));
        given().get("/v1/integrations/flows").then().statusCode(401);
    }

    @Test
    void aRequesterCannotApproveTheirOwnIntegration() {
        // alice is an admin and an approver: she may approve others' requests, not her own
        String id = asAdmin().body(proposal(name(), List.of("internal"))).post("/v1/integrations").then().statusCode(201)
                .extract().path("id");
        asAdmin().post("/v1/integrations/" + id + "/approve").then().statusCode(403)
                .body("detail", containsString("other than its requester"));
        asAdmin().get("/v1/integrations/" + id).then().statusCode(200).body("state", equalTo("proposed")).body("approvals.size()", equalTo(0));
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200).body("state", equalTo("approved"));
    }

    @Test
    void sensitiveDataNeedsTwoDifferentApprovers() {
        String id = asOperator().body(proposal(name(), List.of("personal", "internal"))).post("/v1/integrations").then().statusCode(201)
                .body("approvalsRequired", equalTo(2)).extract().path("id");
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200).body("state", equalTo("proposed"))
                .body("approvals.size()", equalTo(1));
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(409).body("detail", containsString("another approver"));
        asAdmin().post("/v1/integrations/" + id + "/approve").then().statusCode(200).body("state", equalTo("approved"))
                .body("approvals.approver", equalTo(List.of(KeycloakTokens.ERIN, KeycloakTokens.ALICE)));
    }

    @Test
    void badProposalsAndStepsAreRefusedWithNothingChangedOrEchoed() throws Exception {
        long rows = count("select count(*) from integration");
        String badName = "CRM Sync <script>";
        String body = asOperator().body(proposal(badName, List.of("internal"))).post("/v1/integrations").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("naming rule")).extract().asString();
        assertFalse(body.contains("<script>"), body);
        body = asOperator().body(proposal(name(), List.of("internal", "secret-sauce"))).post("/v1/integrations").then().statusCode(400)
                .body("detail", containsString("data classes")).extract().asString();
        assertFalse(body.contains("secret-sauce"), body);
        Map<String, Object> badHost = Map.of("name", name(), "department", "sales", "purpose", "p", "dataClasses", List.of("internal"),
                "destinations", List.of("not a host!"));
        asOperator().body(badHost).post("/v1/integrations").then().statusCode(400);
        asOperator().body(Map.of("name", name())).post("/v1/integrations").then().statusCode(400);
        asOperator().body("{not json").post("/v1/integrations").then().statusCode(400);
        assertEquals(rows, count("select count(*) from integration"), "no refused proposal left a row");

        String taken = name();
        asOperator().body(proposal(taken, List.of("internal"))).post("/v1/integrations").then().statusCode(201);
        asOperator().body(proposal(taken, List.of("public"))).post("/v1/integrations").then().statusCode(409);
        asApprover().post("/v1/integrations/aaaaaaaaaaaaaaaa/approve").then().statusCode(404);
        asApprover().post("/v1/integrations/../../etc/approve").then().statusCode(404);
        given().contentType(ContentType.JSON).body(proposal(name(), List.of("internal"))).post("/v1/integrations").then().statusCode(401);
        given().auth().oauth2(KeycloakTokens.auditor()).contentType(ContentType.JSON).body(proposal(name(), List.of("internal")))
                .post("/v1/integrations").then().statusCode(403);
        asOperator().queryParam("state", "dreaming").get("/v1/integrations").then().statusCode(400);
        assertTrue(asOperator().queryParam("state", "proposed").get("/v1/integrations").then().statusCode(200).extract().jsonPath()
                .<String>getList("state").stream().allMatch("proposed"::equals));
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    /** An integration's service clients are its credentials too: one integration each, and the gateway can ask their standing. */
    @Test
    void serviceClientsBelongToOneIntegrationAndTheGatewayLearnsItsStanding() throws Exception {
        String client = "crm-worker-" + Long.toString(System.nanoTime(), 36);
        Map<String, Object> body = new java.util.HashMap<>(proposal(name(), List.of("internal")));
        body.put("serviceClients", List.of(client));
        String id = asOperator().body(body).post("/v1/integrations").then().statusCode(201)
                .body("serviceClients", equalTo(List.of(client))).extract().path("id");
        long integrations = count("select count(*) from integration");
        Map<String, Object> again = new java.util.HashMap<>(proposal(name(), List.of("internal")));
        again.put("serviceClients", List.of(client));
        asOperator().body(again).post("/v1/integrations").then().statusCode(409).contentType("application/problem+json");
        again.put("serviceClients", List.of("not a client id!"));
        asOperator().body(again).post("/v1/integrations").then().statusCode(400)
                .body(org.hamcrest.Matchers.not(containsString("not a client id!")));
        assertEquals(integrations, count("select count(*) from integration"), "refused proposals write nothing");

        io.grpc.ManagedChannel gateway = GrpcChannels.withToken(url, KeycloakTokens.service("auth"));
        try {
            var secrets = dev.sekisho.secrets.v1.SecretsGrpc.newBlockingStub(gateway);
            var standing = secrets.clientStanding(dev.sekisho.secrets.v1.ClientStandingRequest.newBuilder().setClientId(client).build());
            assertTrue(standing.getGoverned());
            assertEquals(id, standing.getIntegrationId());
            assertEquals("proposed", standing.getState());
            asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200);
            assertEquals("approved", secrets.clientStanding(dev.sekisho.secrets.v1.ClientStandingRequest.newBuilder().setClientId(client)
                    .build()).getState());
            assertFalse(secrets.clientStanding(dev.sekisho.secrets.v1.ClientStandingRequest.newBuilder().setClientId("nobody-" + client)
                    .build()).getGoverned(), "a client no integration names is not governed here");
        } finally {
            gateway.shutdownNow();
        }
        var flows = given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/integrations/flows").then().statusCode(200).extract().jsonPath();
        assertEquals("service-client", flows.getString("flows.find { it.integrationId == '" + id + "' }.credentials.find { it.id == '"
                + client + "' }.type"));
    }

    /** Here as at the gateway: a governed client's machine tokens are refused while its integration is suspended. */
    @Test
    void aServiceClientsTokensAreRefusedHereWhileItsIntegrationIsSuspended() {
        Map<String, Object> body = new java.util.HashMap<>(proposal(name(), List.of("internal")));
        body.put("serviceClients", List.of("demo-integration"));
        String id = asOperator().body(body).post("/v1/integrations").then().statusCode(201).extract().path("id");
        try {
            asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200);
            String machine = given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "client_credentials")
                    .formParam("client_id", "demo-integration").formParam("client_secret", "demo-integration-dev-secret")
                    .post(dev.sekisho.testing.servers.SharedServers.keycloak() + "/realms/sekisho/protocol/openid-connect/token")
                    .then().statusCode(200).extract().path("access_token");
            given().auth().oauth2(machine).get("/v1/integrations/" + id).then().statusCode(200);
            asApprover().body(Map.of("reason", "vendor incident")).post("/v1/integrations/" + id + "/suspend").then().statusCode(200);
            dev.sekisho.testing.servers.Ports.sleep(1100); // a client's standing is taken as known for a second
            given().auth().oauth2(machine).get("/v1/integrations/" + id).then().statusCode(401);
            asApprover().post("/v1/integrations/" + id + "/resume").then().statusCode(200);
            dev.sekisho.testing.servers.Ports.sleep(1100);
            given().auth().oauth2(machine).get("/v1/integrations/" + id).then().statusCode(200);
        } finally {
            asOperator().body(Map.of("reason", "test over")).post("/v1/integrations/" + id + "/retire").then().statusCode(200);
        }
    }
}
