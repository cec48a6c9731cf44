package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.execute;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.signalsAfter;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.secrets.service.StaleReport;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** The stale-credential report, its signals, and the investigator's audit-hash question. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class StaleReportTest {

    @Inject
    StaleReport report;

    @Test
    void unusedRotationDueAndExpiringCredentialsAreReportedWithOwnersAndSignalled() throws Throwable {
        String unused = "integrations/" + SecretsTest.unique("unused");
        String due = "integrations/" + SecretsTest.unique("due");
        String fresh = "integrations/" + SecretsTest.unique("fresh");
        for (String path : List.of(unused, due, fresh)) {
            asOperator().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
            asOperator().body(Map.of("owner", "team-" + path.substring(13, 18))).put("/v1/secrets/metadata/" + path).then().statusCode(200);
        }
        execute("update secret set created_at = now() - interval '120 days' where path = '" + unused + "'");
        asOperator().body(Map.of("rotationPeriodSeconds", 86400)).put("/v1/secrets/metadata/" + due).then().statusCode(200);
        execute("update secret_version set created_at = now() - interval '2 days' where path = '" + due + "'");
        asOperator().get("/v1/secrets/" + fresh).then().statusCode(200);
        Map<String, Object> key = asOperator().body(SecretsTest.governed(Map.of("name", "old sync", "owner", "team-sync", "scopes", List.of("operator"))))
                .post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
        execute("update api_key set created_at = now() - interval '200 days', expires_at = now() + interval '3 days' where id = '"
                + key.get("id") + "'");

        JsonPath found = asAdmin().get("/v1/secrets/reports/stale?unusedDays=90&dueWithinDays=14").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("stale"), found.getList("secrets.find { it.path == '" + unused + "' }.findings"));
        assertEquals(List.of("rotation_due"), found.getList("secrets.find { it.path == '" + due + "' }.findings"));
        assertTrue(found.get("secrets.find { it.path == '" + fresh + "' }") == null, "a read secret is not stale");
        assertEquals(List.of("unused", "expiring"), found.getList("apiKeys.find { it.id == '" + key.get("id") + "' }.findings"));
        assertEquals("team-sync", found.getString("apiKeys.find { it.id == '" + key.get("id") + "' }.owner"));
        given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/secrets/reports/stale").then().statusCode(200);
        asOperator().get("/v1/secrets/reports/stale").then().statusCode(403);
        asAdmin().get("/v1/secrets/reports/stale?unusedDays=0").then().statusCode(400);

        long before = maxOutboxId();
        io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(() -> report.signalFindings());
        List<SecuritySignal> signals = signalsAfter(before);
        assertTrue(signals.stream().anyMatch(s -> s.getKind().equals("secret.stale") && s.getLabelsOrThrow("path").equals(unused)), signals.toString());
        assertTrue(signals.stream().anyMatch(s -> s.getKind().equals("secret.rotation_due") && s.getLabelsOrThrow("path").equals(due)));
        assertTrue(signals.stream().anyMatch(s -> s.getKind().equals("apikey.unused") && s.getLabelsOrThrow("key_id").equals(key.get("id"))));
    }

    @Test
    void anInvestigatorLearnsWhetherAKnownValueWasStoredWithoutSeeingAnyValue() {
        String path = "integrations/" + SecretsTest.unique("leak");
        String value = "leaked-" + System.nanoTime();
        asOperator().body(Map.of("data", Map.of("token", value))).put("/v1/secrets/" + path).then().statusCode(200);
        given().auth().oauth2(KeycloakTokens.auditor()).contentType("application/json").body(Map.of("data", Map.of("token", value)))
                .post("/v1/secrets/audit-hash").then().statusCode(200)
                .body("versions", hasItem(Map.of("path", path, "version", 1)))
                .body("valueHmac", org.hamcrest.Matchers.startsWith("hmac-sha256:"));
        given().auth().oauth2(KeycloakTokens.auditor()).contentType("application/json").body(Map.of("data", Map.of("token", value + "x")))
                .post("/v1/secrets/audit-hash").then().statusCode(200).body("versions.size()", equalTo(0));
        asOperator().body(Map.of("data", Map.of("token", value))).post("/v1/secrets/audit-hash").then().statusCode(403);
        asOperator().get("/v1/secrets/" + path).then().body("data.token", equalTo(value)).body("valueHmac", nullValue());
    }
}
