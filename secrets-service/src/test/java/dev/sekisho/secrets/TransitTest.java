package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.count;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.secrets.v1.CiphertextItem;
import dev.sekisho.secrets.v1.DecryptRequest;
import dev.sekisho.secrets.v1.EncryptRequest;
import dev.sekisho.secrets.v1.PlaintextItem;
import dev.sekisho.secrets.v1.SecretsGrpc;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.service.TransitKeys;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;

/** Transit on real PostgreSQL and Keycloak: key versions, their bounds and trimming, derived keys, data keys, HMACs. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class TransitTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    @jakarta.inject.Inject
    TransitKeys transitKeys;

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    private static String newKey(Map<String, Object> body) {
        String name = "payments/" + unique("cards");
        asAdmin().body(body).post("/v1/transit/keys/" + name).then().statusCode(200).body("latestVersion", equalTo(1))
                .body("type", equalTo("aes256-gcm96"));
        return name;
    }

    private static String encrypt(String name, String plaintext) {
        return asOperator().body(Map.of("plaintext", b64(plaintext))).post("/v1/transit/encrypt/" + name).then().statusCode(200)
                .extract().path("ciphertext");
    }

    private static String decrypt(String name, String ciphertext) {
        return text(asOperator().body(Map.of("ciphertext", ciphertext)).post("/v1/transit/decrypt/" + name).then().statusCode(200)
                .extract().path("plaintext"));
    }

    @Test
    void versionsEncryptDecryptRewrapAndAreTrimmedForGood() throws Exception {
        String name = newKey(Map.of());
        String v1 = encrypt(name, "4111 1111 1111 1111");
        assertTrue(v1.startsWith("sekisho:v1:"), v1);
        assertNotEquals(v1, encrypt(name, "4111 1111 1111 1111"), "a fresh nonce per encryption");
        assertEquals("4111 1111 1111 1111", decrypt(name, v1));

        asAdmin().post("/v1/transit/rotate/" + name).then().statusCode(200).body("latestVersion", equalTo(2))
                .body("versions", hasSize(2));
        String v2 = encrypt(name, "second");
        assertTrue(v2.startsWith("sekisho:v2:"), v2);
        assertEquals("4111 1111 1111 1111", decrypt(name, v1), "older versions still decrypt");
        String rewrapped = asOperator().body(Map.of("ciphertext", v1)).post("/v1/transit/rewrap/" + name).then().statusCode(200)
                .body("keyVersion", equalTo(2)).extract().path("ciphertext");
        assertEquals("4111 1111 1111 1111", decrypt(name, rewrapped));

        asAdmin().body(Map.of("minDecryptionVersion", 2)).post("/v1/transit/config/" + name).then().statusCode(200)
                .body("minDecryptionVersion", equalTo(2));
        asOperator().body(Map.of("ciphertext", v1)).post("/v1/transit/decrypt/" + name).then().statusCode(400)
                .body("detail", startsWith("The ciphertext's key version 1 is below"));
        asOperator().body(Map.of("plaintext", b64("x"), "keyVersion", 1)).post("/v1/transit/encrypt/" + name).then().statusCode(400);

        asAdmin().body(Map.of("minAvailableVersion", 3)).post("/v1/transit/trim/" + name).then().statusCode(400);
        assertEquals(2, count("select count(*) from transit_key_version where name = '" + name + "'"));
        asAdmin().body(Map.of("minAvailableVersion", 2)).post("/v1/transit/trim/" + name).then().statusCode(200)
                .body("minAvailableVersion", equalTo(2)).body("versions", hasSize(1));
        assertEquals(0, count("select count(*) from transit_key_version where name = '" + name + "' and version = 1"), "trimmed is gone");
        asAdmin().body(Map.of("minDecryptionVersion", 1)).post("/v1/transit/config/" + name).then().statusCode(400);
        assertEquals("second", decrypt(name, v2));
    }

    /**
     * Every instance checks for due keys on the same schedule; a key found due by two of them is rotated once: the
     * second finds, under the key's lock, that the first already did.
     */
    @Test
    void aDueKeyIsRotatedOnceHoweverManyInstancesFoundItDue() throws Throwable {
        String name = newKey(Map.of("autoRotatePeriodSeconds", 3600));
        String notDue = newKey(Map.of("autoRotatePeriodSeconds", 3600));
        SecretsTest.execute("update transit_key set rotated_at = now() - interval '2 hours' where name = '" + name + "'");
        long before = maxOutboxId();
        Who system = Who.client("secrets-service", "", "");
        List<Boolean> rotated = List.of(
                VertxContextSupport.subscribeAndAwait(() -> transitKeys.rotateIfDue(system, name)),
                VertxContextSupport.subscribeAndAwait(() -> transitKeys.rotateIfDue(system, name)),
                VertxContextSupport.subscribeAndAwait(() -> transitKeys.rotateIfDue(system, notDue)));
        assertEquals(List.of(true, false, false), rotated, "rotated once, and the key not due not at all");
        asAdmin().get("/v1/transit/keys/" + name).then().statusCode(200).body("latestVersion", equalTo(2));
        asAdmin().get("/v1/transit/keys/" + notDue).then().statusCode(200).body("latestVersion", equalTo(1));
        List<AuditEvent> rotations = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("transit.key.rotate")).toList();
        assertEquals(1, rotations.size(), rotations.toString());
        assertEquals("auto", rotations.get(0).getAttributesOrThrow("trigger"));
    }

    @Test
    void badCiphertextsAndBatchesAreRefusedWithoutEcho() throws Exception {
        String name = newKey(Map.of());
        String other = newKey(Map.of());
        String ciphertext = encrypt(name, "secret-plaintext");
        byte[] raw = Base64.getDecoder().decode(ciphertext.substring("sekisho:v1:".length()));
        raw[raw.length - 1] ^= 1;
        String tampered = "sekisho:v1:" + Base64.getEncoder().encodeToString(raw);
        long before = maxOutboxId();
        asOperator().body(Map.of("ciphertext", tampered)).post("/v1/transit/decrypt/" + name).then().statusCode(400)
                .body("detail", not(org.hamcrest.Matchers.containsString(tampered.substring(11, 30))));
        asOperator().body(Map.of("ciphertext", ciphertext)).post("/v1/transit/decrypt/" + other).then().statusCode(400);
        List<AuditEvent> failed = auditEventsAfter(before).stream().filter(e -> e.getAction().equals("transit.decrypt")).toList();
        assertEquals(2, failed.size(), "failed decryptions are audited");
        assertTrue(failed.stream().allMatch(e -> e.getOutcome() == Outcome.OUTCOME_ERROR));

        asOperator().body(Map.of("ciphertext", "sekisho:v9:" + ciphertext.substring(11))).post("/v1/transit/decrypt/" + name).then()
                .statusCode(400).body("detail", startsWith("The ciphertext names key version 9"));
        asOperator().body(Map.of("ciphertext", "vault:v1:abc")).post("/v1/transit/decrypt/" + name).then().statusCode(400);
        asOperator().body(Map.of("plaintext", "not base64 !!")).post("/v1/transit/encrypt/" + name).then().statusCode(400)
                .body("detail", equalTo("plaintext is not base64"));
        asOperator().body(Map.of("plaintext", b64("a"), "batchInput", List.of(Map.of("plaintext", b64("b"))))).post("/v1/transit/encrypt/" + name)
                .then().statusCode(400);
        asOperator().body(Map.of("plaintext", b64("x".repeat(40_000)))).post("/v1/transit/encrypt/" + name).then().statusCode(413);

        List<Map<String, String>> huge = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            huge.add(Map.of("plaintext", "AA=="));
        }
        asOperator().body(Map.of("batchInput", huge)).post("/v1/transit/encrypt/" + name).then().statusCode(413)
                .body("batchResults", nullValue());
        asOperator().body(Map.of("plaintext", b64("x"))).post("/v1/transit/encrypt/payments/none-" + unique("x")).then().statusCode(404);
        // The HTTP server resolves dot segments before routing: the key asked for is "x", outside the operator's keys.
        asOperator().urlEncodingEnabled(false).body(Map.of("plaintext", b64("x"))).post("/v1/transit/encrypt/payments/%2e%2e/x").then()
                .statusCode(403);
        asOperator().urlEncodingEnabled(false).body(Map.of("plaintext", b64("x"))).post("/v1/transit/encrypt/payments%2Fcards").then()
                .statusCode(400);
    }

    @Test
    void batchesKeepTheirOrder() {
        String name = newKey(Map.of());
        List<String> ciphertexts = asOperator().body(Map.of("batchInput", List.of(Map.of("plaintext", b64("one")),
                Map.of("plaintext", b64("two")), Map.of("plaintext", b64("three"))))).post("/v1/transit/encrypt/" + name).then().statusCode(200)
                .body("batchResults", hasSize(3)).extract().path("batchResults.ciphertext");
        List<String> plaintexts = asOperator().body(Map.of("batchInput", ciphertexts.stream().map(c -> Map.of("ciphertext", c)).toList()))
                .post("/v1/transit/decrypt/" + name).then().statusCode(200).extract().path("batchResults.plaintext");
        assertEquals(List.of("one", "two", "three"), plaintexts.stream().map(TransitTest::text).toList());
    }

    @Test
    void derivedKeysNeedTheirContextAndKeepContextsApart() {
        String name = newKey(Map.of("derived", true));
        asOperator().body(Map.of("plaintext", b64("x"))).post("/v1/transit/encrypt/" + name).then().statusCode(400)
                .body("detail", startsWith("This key is derived"));
        String forAlice = asOperator().body(Map.of("plaintext", b64("alice's card"), "context", b64("customer-1")))
                .post("/v1/transit/encrypt/" + name).then().statusCode(200).extract().path("ciphertext");
        assertEquals("alice's card", text(asOperator().body(Map.of("ciphertext", forAlice, "context", b64("customer-1")))
                .post("/v1/transit/decrypt/" + name).then().statusCode(200).extract().path("plaintext")));
        asOperator().body(Map.of("ciphertext", forAlice, "context", b64("customer-2"))).post("/v1/transit/decrypt/" + name).then()
                .statusCode(400);
        String plain = newKey(Map.of());
        asOperator().body(Map.of("plaintext", b64("x"), "context", b64("c"))).post("/v1/transit/encrypt/" + plain).then().statusCode(400)
                .body("detail", startsWith("This key is not derived"));
    }

    @Test
    void dataKeysComeInPlaintextOrWrappedOnly() {
        String name = newKey(Map.of());
        var plaintext = asOperator().body(Map.of("bits", 256)).post("/v1/transit/datakey/plaintext/" + name).then().statusCode(200)
                .body("plaintext", notNullValue()).body("keyVersion", equalTo(1)).extract().jsonPath();
        byte[] key = Base64.getDecoder().decode(plaintext.getString("plaintext"));
        assertEquals(32, key.length);
        String opened = asOperator().body(Map.of("ciphertext", plaintext.getString("ciphertext"))).post("/v1/transit/decrypt/" + name).then()
                .statusCode(200).extract().path("plaintext");
        assertEquals(plaintext.getString("plaintext"), opened);
        asOperator().body(Map.of("bits", 128)).post("/v1/transit/datakey/wrapped/" + name).then().statusCode(200)
                .body("plaintext", nullValue()).body("ciphertext", startsWith("sekisho:v1:"));
        asOperator().body(Map.of("bits", 100)).post("/v1/transit/datakey/wrapped/" + name).then().statusCode(400);
    }

    @Test
    void hmacsVerifyAcrossRotations() {
        String name = newKey(Map.of());
        String mac = asOperator().body(Map.of("input", b64("order-42"))).post("/v1/transit/hmac/" + name).then().statusCode(200)
                .extract().path("hmac");
        assertTrue(mac.startsWith("sekisho:v1:"), mac);
        asAdmin().post("/v1/transit/rotate/" + name).then().statusCode(200);
        asOperator().body(Map.of("input", b64("order-42"), "hmac", mac)).post("/v1/transit/verify/" + name).then().statusCode(200)
                .body("valid", equalTo(true));
        asOperator().body(Map.of("input", b64("order-43"), "hmac", mac)).post("/v1/transit/verify/" + name).then().statusCode(200)
                .body("valid", equalTo(false));
        String ciphertext = encrypt(name, "order-42");
        assertFalse(ciphertext.substring(11).equals(mac.substring(11)), "the HMAC key is not the encryption key");
        asOperator().body(Map.of("input", b64("order-42"))).post("/v1/transit/hmac/" + name).then().statusCode(200)
                .body("hmac", startsWith("sekisho:v2:"));
    }

    @Test
    void policiesDecideWhoUsesAndWhoManagesKeys() throws Exception {
        String name = newKey(Map.of());
        long before = maxOutboxId();
        asOperator().post("/v1/transit/rotate/" + name).then().statusCode(403);
        asOperator().body(Map.of()).post("/v1/transit/keys/payments/" + unique("mine")).then().statusCode(403);
        String payroll = "hr/" + unique("payroll");
        asAdmin().body(Map.of()).post("/v1/transit/keys/" + payroll).then().statusCode(200);
        asOperator().body(Map.of("plaintext", b64("x"))).post("/v1/transit/encrypt/" + payroll).then().statusCode(403);
        List<AuditEvent> denied = auditEventsAfter(before).stream().filter(e -> e.getOutcome() == Outcome.OUTCOME_DENIED).toList();
        assertEquals(List.of("transit.key.rotate", "transit.key.create", "transit.encrypt"), denied.stream().map(AuditEvent::getAction).toList());
        assertEquals(KeycloakTokens.DEMO, denied.get(0).getActor().getId());
        asAdmin().body(Map.of()).post("/v1/transit/keys/" + name).then().statusCode(409);
        asOperator().get("/v1/transit/keys/" + name).then().statusCode(200).body("name", equalTo(name))
                .body("versions[0].version", equalTo(1));
    }

    @Test
    void decryptIsAuditedPerCallEncryptInAggregate() throws Throwable {
        String name = newKey(Map.of());
        long before = maxOutboxId();
        String c = encrypt(name, "a");
        encrypt(name, "b");
        decrypt(name, c);
        List<AuditEvent> events = auditEventsAfter(before).stream().filter(e -> e.getResource().getId().equals(name)).toList();
        assertEquals(List.of("transit.decrypt"), events.stream().map(AuditEvent::getAction).toList(), "one record per decrypt, before it answers");
        io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(() -> io.quarkus.arc.Arc.container()
                .instance(dev.sekisho.secrets.service.TransitUsage.class).get().flush());
        List<AuditEvent> usage = auditEventsAfter(before).stream()
                .filter(e -> e.getResource().getId().equals(name) && e.getAction().equals("transit.encrypt")).toList();
        assertEquals(2, usage.stream().mapToInt(e -> Integer.parseInt(e.getAttributesMap().get("calls"))).sum(), "the two calls, counted");
        assertTrue(usage.stream().allMatch(e -> e.getActor().getId().equals(KeycloakTokens.DEMO)
                && "true".equals(e.getAttributesMap().get("aggregated"))));
    }

    @Test
    void grpcEncryptsAndDecryptsTheSameWay() throws Exception {
        String name = newKey(Map.of());
        ManagedChannel channel = channel(SecretsTest.operatorToken());
        try {
            var stub = SecretsGrpc.newBlockingStub(channel);
            var encrypted = stub.encrypt(EncryptRequest.newBuilder().setKeyName(name)
                    .addItems(PlaintextItem.newBuilder().setPlaintext(ByteString.copyFromUtf8("over grpc"))).build());
            String ciphertext = encrypted.getCiphertexts(0);
            assertEquals("over grpc", decrypt(name, ciphertext), "REST opens what gRPC sealed");
            var decrypted = stub.decrypt(DecryptRequest.newBuilder().setKeyName(name)
                    .addItems(CiphertextItem.newBuilder().setCiphertext(encrypt(name, "over rest"))).build());
            assertEquals("over rest", decrypted.getPlaintexts(0).toStringUtf8());
            var bad = assertThrows(StatusRuntimeException.class, () -> stub.decrypt(DecryptRequest.newBuilder().setKeyName(name)
                    .addItems(CiphertextItem.newBuilder().setCiphertext("sekisho:v1:!!")).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            var denied = assertThrows(StatusRuntimeException.class, () -> stub.encrypt(EncryptRequest.newBuilder().setKeyName("hr/other")
                    .addItems(PlaintextItem.newBuilder().setPlaintext(ByteString.copyFromUtf8("x"))).build()));
            assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    private ManagedChannel channel(String token) {
        return GrpcChannels.withToken(url, token);
    }
}
