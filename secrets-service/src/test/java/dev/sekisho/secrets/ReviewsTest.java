package dev.sekisho.secrets;

import static dev.sekisho.secrets.IntegrationsTest.asApprover;
import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.count;
import static dev.sekisho.secrets.SecretsTest.jdbc;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.signalsAfter;
import static dev.sekisho.secrets.SecretsTest.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.secrets.v1.IntegrationRequest;
import dev.sekisho.secrets.v1.IntegrationsGrpc;
import dev.sekisho.secrets.v1.OwnerLeftRequest;
import dev.sekisho.secrets.v1.OwnerLeftResponse;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.servers.Ports;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * Review campaigns and leavers on real PostgreSQL and Keycloak: what an owner does not re-confirm by the deadline is
 * suspended; an owner who leaves takes their integrations' credentials with them until a new owner is assigned.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class ReviewsTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    private static String approved(String owner) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("name", unique("review").toLowerCase(java.util.Locale.ROOT),
                "department", "sales", "purpose", "Sync leads to the CRM", "dataClasses", List.of("internal"),
                "destinations", List.of("crm.example.com")));
        if (owner != null) {
            body.put("owner", owner);
        }
        String id = asOperator().body(body).post("/v1/integrations").then().statusCode(201).extract().path("id");
        asApprover().post("/v1/integrations/" + id + "/approve").then().statusCode(200);
        return id;
    }

    private static String key(String integration) {
        return asOperator().body(Map.of("name", "crm", "owner", "team-crm", "integrationId", integration, "scopes", List.of("operator")))
                .post("/v1/apikeys").then().statusCode(201).extract().path("key");
    }

    @Test
    void whatItsOwnerDoesNotConfirmByTheDeadlineIsSuspendedAndTheResultsAreEvidence() throws Exception {
        String confirmed = approved(null);
        String forgotten = approved(null);
        String forgottenKey = key(forgotten);
        long campaigns = count("select count(*) from review_campaign");
        asAdmin().body(Map.of("scope", "everything", "days", 7)).post("/v1/reviews").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("scope"));
        asAdmin().body(Map.of("scope", "integrations", "days", 0)).post("/v1/reviews").then().statusCode(400);
        asOperator().body(Map.of("scope", "integrations", "days", 7)).post("/v1/reviews").then().statusCode(403);
        assertEquals(campaigns, count("select count(*) from review_campaign"), "a refused start writes nothing");

        long before = maxOutboxId();
        JsonPath started = asAdmin().body(Map.of("scope", "integrations", "days", 7, "note", "Q4 review")).post("/v1/reviews").then()
                .statusCode(201).body("state", equalTo("open")).extract().jsonPath();
        String review = started.getString("id");
        assertEquals(KeycloakTokens.DEMO, started.getString("items.find { it.itemId == '" + forgotten + "' }.reviewer"));
        String itemPath = "/v1/reviews/" + review + "/items/integration/";
        asApprover().post(itemPath + confirmed + "/confirm").then().statusCode(403).contentType("application/problem+json");
        // the owner confirms everything of theirs in the campaign but one (other tests' integrations are theirs too)
        for (String item : started.<String>getList("items.findAll { it.kind == 'integration' && it.reviewer == 'demo' }.itemId")) {
            if (!item.equals(forgotten)) {
                asOperator().body(Map.of("note", "still syncing")).post(itemPath + item + "/confirm").then().statusCode(200);
            }
        }
        asOperator().post(itemPath + confirmed + "/confirm").then().statusCode(409);
        asOperator().post(itemPath + "zzzz/confirm").then().statusCode(404);
        given().header("X-API-Key", forgottenKey).get("/v1/reviews/" + review + "/mine").then().statusCode(403);
        assertTrue(asOperator().get("/v1/reviews/" + review + "/mine").then().statusCode(200).extract().jsonPath()
                .<String>getList("findAll { it.decision == 'pending' }.itemId").contains(forgotten));

        try (var c = jdbc(); var st = c.prepareStatement("update review_campaign set deadline = now() - interval '1 second' where id = ?")) {
            st.setString(1, review);
            st.executeUpdate();
        }
        awaitClosed(review);

        asOperator().get("/v1/integrations/" + confirmed).then().statusCode(200).body("state", equalTo("approved"));
        asOperator().get("/v1/integrations/" + forgotten).then().statusCode(200).body("state", equalTo("suspended"))
                .body("suspendedFor", equalTo("review_unconfirmed"));
        given().header("X-API-Key", forgottenKey).get("/v1/integrations/flows").then().statusCode(401);
        asOperator().post(itemPath + forgotten + "/confirm").then().statusCode(409).body("detail", containsString("closed"));

        JsonPath evidence = given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/reviews/" + review + "/export.json").then()
                .statusCode(200).extract().jsonPath();
        assertEquals("closed", evidence.getString("state"));
        assertEquals("confirmed", evidence.getString("items.find { it.itemId == '" + confirmed + "' }.decision"));
        assertEquals(KeycloakTokens.DEMO, evidence.getString("items.find { it.itemId == '" + confirmed + "' }.decidedBy"));
        assertEquals("suspended", evidence.getString("items.find { it.itemId == '" + forgotten + "' }.decision"));
        assertEquals("secrets-service", evidence.getString("items.find { it.itemId == '" + forgotten + "' }.decidedBy"));
        String csv = given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/reviews/" + review + "/export.csv").then().statusCode(200)
                .contentType(containsString("text/csv")).extract().asString();
        assertTrue(csv.startsWith("campaign_id,kind,item_id,subject,reviewer,detail,decision,decided_by,decided_at,note\n"), csv);
        assertTrue(csv.lines().anyMatch(l -> l.startsWith(review + ",integration," + confirmed + ",") && l.contains(",confirmed,demo,")), csv);
        assertTrue(csv.lines().anyMatch(l -> l.startsWith(review + ",integration," + forgotten + ",") && l.contains(",suspended,secrets-service,")), csv);
        asOperator().get("/v1/reviews/" + review + "/export.csv").then().statusCode(403);

        List<AuditEvent> audit = auditEventsAfter(before);
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("review.started") && e.getResource().getId().equals(review)));
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("review.item.confirmed") && e.getActor().getId().equals("demo")
                && e.getAttributesOrDefault("item", "").equals(confirmed)));
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("integration.suspended") && e.getResource().getId().equals(forgotten)
                && e.getAttributesOrDefault("cause", "").equals("review_unconfirmed")));
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("review.closed") && e.getResource().getId().equals(review)));
        assertTrue(audit.stream().anyMatch(e -> e.getAction().equals("review.exported") && e.getAttributesOrDefault("format", "").equals("csv")));
        assertTrue(signalsAfter(before).stream().anyMatch(s -> s.getKind().equals("review.closed") && s.getLabelsOrDefault("review", "").equals(review)
                && !s.getLabelsOrDefault("suspended", "0").equals("0")));
    }

    private static void awaitClosed(String review) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!"closed".equals(asAdmin().get("/v1/reviews/" + review).then().statusCode(200).extract().path("state"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the review past its deadline was not closed by the scheduled check");
            }
            Ports.sleep(200);
        }
    }

    @Test
    void aLeaversIntegrationsAreSuspendedUntilANewOwnerIsAssigned() throws Exception {
        String leaver = "leaver-" + Long.toString(System.nanoTime(), 36);
        String id = approved(leaver);
        asAdmin().post("/v1/integrations/" + id + "/activate").then().statusCode(200).body("state", equalTo("active"));
        String apiKey = key(id);
        String path = "integrations/" + unique("leaver");
        asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
        given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(200);

        ManagedChannel auth = GrpcChannels.withToken(url, KeycloakTokens.service("auth"));
        ManagedChannel operator = GrpcChannels.withToken(url, SecretsTest.operatorToken());
        try {
            StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> IntegrationsGrpc.newBlockingStub(operator).suspendIntegrationsOwnedBy(OwnerLeftRequest.newBuilder().setOwner(leaver).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), "only a service with the permission acts for leavers");
            StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> IntegrationsGrpc.newBlockingStub(auth).suspendIntegrationsOwnedBy(OwnerLeftRequest.newBuilder().setOwner("no such owner!").build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            assertFalse(bad.getStatus().getDescription().contains("no such owner!"), "nothing echoed");

            long before = maxOutboxId();
            OwnerLeftResponse left = IntegrationsGrpc.newBlockingStub(auth).suspendIntegrationsOwnedBy(OwnerLeftRequest.newBuilder()
                    .setOwner(leaver).setReason("disabled in Keycloak").build());
            assertEquals(List.of(id), left.getSuspendedList());
            assertEquals(List.of(), IntegrationsGrpc.newBlockingStub(auth).suspendIntegrationsOwnedBy(OwnerLeftRequest.newBuilder()
                    .setOwner(leaver).build()).getSuspendedList(), "a second call changes nothing");
            var suspended = IntegrationsGrpc.newBlockingStub(operator).getIntegration(IntegrationRequest.newBuilder().setId(id).build());
            assertEquals("suspended", suspended.getState());
            assertEquals("owner_left", suspended.getSuspendedFor());
            given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(401);
            AuditEvent audited = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("integration.suspended")
                    && e.getResource().getId().equals(id)).findFirst().orElseThrow();
            assertEquals("svc-auth", audited.getActor().getId());
            assertEquals("owner_left", audited.getAttributesOrDefault("cause", ""));
        } finally {
            auth.shutdownNow();
            operator.shutdownNow();
        }

        asOperator().body(Map.of("owner", KeycloakTokens.DEMO)).post("/v1/integrations/" + id + "/owner").then().statusCode(403);
        asApprover().body(Map.of("owner", "not a user name")).post("/v1/integrations/" + id + "/owner").then().statusCode(400)
                .contentType("application/problem+json");
        asApprover().body(Map.of("owner", KeycloakTokens.DEMO, "reason", "sales took it over")).post("/v1/integrations/" + id + "/owner")
                .then().statusCode(200).body("owner", equalTo(KeycloakTokens.DEMO)).body("state", equalTo("active"))
                .body("suspendedFor", equalTo(""));
        given().header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(200);
    }
}
