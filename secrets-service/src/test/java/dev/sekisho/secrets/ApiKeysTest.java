package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.count;
import static dev.sekisho.secrets.SecretsTest.execute;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.secrets.service.UsageTracker;
import dev.sekisho.secrets.v1.RevokeApiKeyRequest;
import dev.sekisho.secrets.v1.SecretsGrpc;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import dev.sekisho.secrets.v1.VerifyApiKeyResponse;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** API keys: shown once, stored as a keyed hash, scoped, expiring, allow-listed, revocable, rotated with an overlap. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class ApiKeysTest {

    @TestHTTPResource("/")
    URL url;

    @Inject
    UsageTracker usage;

    private Map<String, Object> create(Map<String, Object> body) {
        return asOperator().body(SecretsTest.governed(body)).post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
    }

    private VerifyApiKeyResponse verify(String key, String ip) {
        ManagedChannel channel = channel(KeycloakTokens.service("auth"));
        try {
            return SecretsGrpc.newBlockingStub(channel).verifyApiKey(VerifyApiKeyRequest.newBuilder().setApiKey(key).setSourceIp(ip).build());
        } finally {
            channel.shutdownNow();
        }
    }

    private ManagedChannel channel(String token) {
        return GrpcChannels.withToken(url, token);
    }

    @Test
    void aKeyIsShownOnceStoredAsAHashAndVerifiesWithItsScopes() throws Exception {
        Map<String, Object> issued = create(Map.of("name", "crm sync", "owner", "team-crm", "scopes", List.of("operator")));
        String key = (String) issued.get("key");
        String id = (String) issued.get("id");
        assertTrue(key.startsWith("sek_" + id + "_"), key);
        asOperator().get("/v1/apikeys/" + id).then().statusCode(200).body("key", nullValue()).body("state", equalTo("active"))
                .body("prefix", equalTo("sek_" + id + "_"));
        // the secret is base64url and may itself hold '_': it is everything after the public prefix
        String secret = key.substring(("sek_" + id + "_").length());
        assertEquals(43, secret.length(), key);
        assertEquals(0, count("select count(*) from api_key where position('" + secret + "' in hash) > 0"));
        assertFalse(SecretsTest.dump().contains(secret), "the key's secret is in no table");
        long before = maxOutboxId();
        VerifyApiKeyResponse ok = verify(key, "198.51.100.7");
        assertTrue(ok.getValid());
        assertEquals(List.of("operator"), ok.getRolesList());
        assertEquals("team-crm", ok.getOwner());
        AuditEvent recorded = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("apikey.verified")).findFirst().orElseThrow();
        assertEquals(Outcome.OUTCOME_SUCCESS, recorded.getOutcome());
        assertEquals(id, recorded.getResource().getId());
        assertFalse(recorded.toString().contains(key), "the key is in no audit record");
        // usage is written behind: nothing per verification, the tally at the next flush
        assertEquals(0, count("select use_count from api_key where id = '" + id + "'"));
        usage.flush().await().indefinitely();
        assertEquals(1, count("select use_count from api_key where id = '" + id + "'"));
    }

    @Test
    void wrongSecretsRevokedExpiredAndForeignAddressesAreRefused() throws Exception {
        Map<String, Object> issued = create(Map.of("name", "erp", "owner", "team-erp", "scopes", List.of("operator"),
                "allowedCidrs", List.of("203.0.113.0/24", "2001:db8::/32")));
        String key = (String) issued.get("key");
        String id = (String) issued.get("id");
        assertTrue(verify(key, "203.0.113.9").getValid());
        assertTrue(verify(key, "2001:db8::1").getValid());
        assertEquals("ip_not_allowed", verify(key, "198.51.100.7").getReason());
        assertEquals("ip_not_allowed", verify(key, "").getReason());
        String wrong = key.substring(0, key.length() - 4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
        long before = maxOutboxId();
        VerifyApiKeyResponse refused = verify(wrong, "203.0.113.9");
        assertFalse(refused.getValid());
        assertEquals("unknown", refused.getReason());
        AuditEvent recorded = auditEventsAfter(before).get(0);
        assertEquals(Outcome.OUTCOME_DENIED, recorded.getOutcome());
        assertEquals("wrong secret for this key id", recorded.getReason());
        assertEquals("unknown", verify("sek_" + "a".repeat(16) + "_" + "b".repeat(43), "203.0.113.9").getReason());
        assertEquals("unknown", verify("not a key", "203.0.113.9").getReason());
        execute("update api_key set expires_at = now() - interval '1 second' where id = '" + id + "'");
        assertEquals("expired", verify(key, "203.0.113.9").getReason());
        execute("update api_key set expires_at = now() + interval '1 day' where id = '" + id + "'");
        asOperator().body(Map.of("reason", "leaked in a ticket")).post("/v1/apikeys/" + id + "/revoke").then().statusCode(200)
                .body("revoked", equalTo(true));
        assertEquals("revoked", verify(key, "203.0.113.9").getReason());
        asOperator().body(Map.of()).post("/v1/apikeys/" + id + "/revoke").then().statusCode(200).body("revoked", equalTo(false));
    }

    @Test
    void rotationKeepsTheOldKeyForTheOverlapOnly() throws Exception {
        Map<String, Object> first = create(Map.of("name", "billing", "owner", "team-billing", "scopes", List.of("operator")));
        Map<String, Object> second = asOperator().body(Map.of("overlapSeconds", 3600)).post("/v1/apikeys/" + first.get("id") + "/rotate")
                .then().statusCode(201).extract().as(Map.class);
        assertTrue(verify((String) second.get("key"), "198.51.100.1").getValid());
        assertTrue(verify((String) first.get("key"), "198.51.100.1").getValid(), "the old key works during the overlap");
        asOperator().get("/v1/apikeys/" + first.get("id")).then().body("state", equalTo("rotating"))
                .body("replacedBy", equalTo(second.get("id")));
        assertEquals(1, count("select count(*) from api_key where id = '" + first.get("id")
                + "' and expires_at between now() + interval '59 minutes' and now() + interval '61 minutes'"));
        asOperator().body(Map.of()).post("/v1/apikeys/" + first.get("id") + "/rotate").then().statusCode(409);
    }

    @Test
    void whoMayDoWhat() {
        // a key never carries more than its creator holds
        asOperator().body(SecretsTest.governed(Map.of("name", "escalate", "owner", "me", "scopes", List.of("admin")))).post("/v1/apikeys").then().statusCode(403);
        asAdmin().body(SecretsTest.governed(Map.of("name", "ops bot", "owner", "ops", "scopes", List.of("operator")))).post("/v1/apikeys").then().statusCode(201);
        io.restassured.RestAssured.given().auth().oauth2(KeycloakTokens.auditor()).contentType("application/json")
                .body(SecretsTest.governed(Map.of("name", "x", "owner", "x", "scopes", List.of("auditor")))).post("/v1/apikeys").then().statusCode(403);
        io.restassured.RestAssured.given().auth().oauth2(KeycloakTokens.auditor()).get("/v1/apikeys").then().statusCode(200);
        io.restassured.RestAssured.given().get("/v1/apikeys").then().statusCode(401);
        ManagedChannel ratelimit = channel(KeycloakTokens.service("ratelimit"));
        try {
            var e = assertThrows(StatusRuntimeException.class, () -> SecretsGrpc.newBlockingStub(ratelimit)
                    .verifyApiKey(VerifyApiKeyRequest.newBuilder().setApiKey("sek_x").build()));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
            var revoke = assertThrows(StatusRuntimeException.class, () -> SecretsGrpc.newBlockingStub(ratelimit)
                    .revokeApiKey(RevokeApiKeyRequest.newBuilder().setKeyId("a".repeat(16)).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, revoke.getStatus().getCode());
        } finally {
            ratelimit.shutdownNow();
        }
    }

    @Test
    void badInputIsAProblemAndCreatesNothing() throws Exception {
        long keys = count("select count(*) from api_key");
        asOperator().body(SecretsTest.governed(Map.of("name", "x", "owner", "x", "scopes", List.of("operator"), "allowedCidrs", List.of("not-an-ip"))))
                .post("/v1/apikeys").then().statusCode(400).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("not-an-ip")));
        asOperator().body(SecretsTest.governed(Map.of("name", "x", "owner", "x", "scopes", List.of("operator"), "expiresAt", Instant.now().minusSeconds(5).toString())))
                .post("/v1/apikeys").then().statusCode(400);
        asOperator().body(SecretsTest.governed(Map.of("name", "x", "owner", "x", "scopes", List.of("Operator!")))).post("/v1/apikeys").then().statusCode(400);
        asOperator().body(SecretsTest.governed(Map.of("name", "", "owner", "x", "scopes", List.of("operator")))).post("/v1/apikeys").then().statusCode(400);
        asOperator().get("/v1/apikeys/../../etc").then().statusCode(404);
        asOperator().body(Map.of("overlapSeconds", 999_999_999)).post("/v1/apikeys/" + "a".repeat(16) + "/rotate").then().statusCode(400);
        assertEquals(keys, count("select count(*) from api_key"));
    }

    /**
     * An integration calls secrets-service with its key instead of a token: it reads what its scopes and the access
     * policies allow, from the addresses the key allows, recorded as the key; a refused key is a bare 401 (the reason
     * is audited and signalled, not answered), and a key never manages keys.
     */
    @Test
    void anIntegrationReadsItsSecretsWithItsKeyFromItsAddressesOnly() throws Exception {
        String path = "integrations/" + SecretsTest.unique("by-key");
        asOperator().body(Map.of("data", Map.of("password", "crm-password-by-key"))).put("/v1/secrets/" + path).then().statusCode(200);
        Map<String, Object> issued = create(Map.of("name", "crm reader", "owner", "team-crm", "scopes", List.of("operator"),
                "allowedCidrs", List.of("203.0.113.0/24")));
        String key = (String) issued.get("key");
        String id = (String) issued.get("id");

        long before = maxOutboxId();
        given().baseUri(url.toString()).header("X-API-Key", key).header("X-Forwarded-For", "203.0.113.5")
                .get("/v1/secrets/" + path).then().statusCode(200).body("data.password", equalTo("crm-password-by-key"));
        AuditEvent read = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("secret.read")).findFirst().orElseThrow();
        assertEquals(ActorType.ACTOR_TYPE_API_KEY, read.getActor().getType());
        assertEquals("apikey:" + id, read.getActor().getId());
        assertEquals("203.0.113.5", read.getActor().getIp());
        assertFalse(read.toString().contains(key), "the key is in no audit record");

        before = maxOutboxId();
        String refused = given().baseUri(url.toString()).header("X-API-Key", key).header("X-Forwarded-For", "198.51.100.5")
                .get("/v1/secrets/" + path).then().statusCode(401).contentType("application/problem+json").extract().asString();
        assertFalse(refused.contains("crm-password-by-key") || refused.contains(key), refused);
        AuditEvent denied = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("apikey.verified")).findFirst().orElseThrow();
        assertEquals(Outcome.OUTCOME_DENIED, denied.getOutcome());
        assertEquals("ip_not_allowed", denied.getReason());
        assertTrue(SecretsTest.signalsAfter(before).stream().anyMatch(s -> s.getKind().equals("apikey.refused")));

        // its scopes and the policies, as for anyone: operator reads integrations/*, not platform/*
        asAdmin().body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/platform/" + SecretsTest.unique("by-key")).then().statusCode(200);
        given().baseUri(url.toString()).header("X-API-Key", key).header("X-Forwarded-For", "203.0.113.5")
                .get("/v1/secrets/platform/anything").then().statusCode(403);
        // a key manages no keys, even one of an admin's with every scope
        Map<String, Object> admin = asAdmin().body(SecretsTest.governed(Map.of("name", "all scopes", "owner", "team-ops", "scopes", List.of("admin", "operator"))))
                .post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
        given().baseUri(url.toString()).header("X-API-Key", (String) admin.get("key")).get("/v1/apikeys").then().statusCode(403);
        given().baseUri(url.toString()).header("X-API-Key", (String) admin.get("key")).contentType("application/json")
                .body(SecretsTest.governed(Map.of("name", "minted", "owner", "team-ops", "scopes", List.of("admin")))).post("/v1/apikeys").then().statusCode(403);
        given().baseUri(url.toString()).header("X-API-Key", (String) admin.get("key")).post("/v1/keyring/rewrap").then().statusCode(403);

        asOperator().body(Map.of("reason", "retired")).post("/v1/apikeys/" + id + "/revoke").then().statusCode(200);
        given().baseUri(url.toString()).header("X-API-Key", key).header("X-Forwarded-For", "203.0.113.5")
                .get("/v1/secrets/" + path).then().statusCode(401);
        given().baseUri(url.toString()).header("X-API-Key", "not a key").get("/v1/secrets/" + path).then().statusCode(401);
    }
}
