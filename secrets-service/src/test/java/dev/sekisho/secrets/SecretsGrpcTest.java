package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.secrets.v1.DetokenizeRequest;
import dev.sekisho.secrets.v1.GetSecretMetadataRequest;
import dev.sekisho.secrets.v1.GetSecretRequest;
import dev.sekisho.secrets.v1.ListSecretsRequest;
import dev.sekisho.secrets.v1.PutSecretRequest;
import dev.sekisho.secrets.v1.SecretVersionsRequest;
import dev.sekisho.secrets.v1.SecretsGrpc;
import dev.sekisho.secrets.v1.TokenizeRequest;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@code sekisho.secrets.v1} for secrets and tokens: the same versions, checks, policies and audit as REST. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class SecretsGrpcTest {

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    private ManagedChannel channel;
    private SecretsGrpc.SecretsBlockingStub operator;

    @BeforeEach
    void connect() {
        channel = GrpcChannels.withToken(url, SecretsTest.operatorToken());
        operator = SecretsGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    @Test
    void secretsAreWrittenReadListedAndDeletedOverGrpc() throws Exception {
        String path = "integrations/" + unique("grpc");
        long before = maxOutboxId();
        var written = operator.putSecret(PutSecretRequest.newBuilder().setPath(path).putData("token", "grpc-value-1").build());
        assertEquals(1, written.getVersion());
        assertEquals(KeycloakTokens.DEMO, written.getCreatedBy(), "the author is the verified caller");
        var conflict = assertThrows(StatusRuntimeException.class, () -> operator.putSecret(PutSecretRequest.newBuilder().setPath(path)
                .putData("token", "lost").setCas(0).build()));
        assertEquals(Status.Code.ALREADY_EXISTS, conflict.getStatus().getCode());
        operator.putSecret(PutSecretRequest.newBuilder().setPath(path).putData("token", "grpc-value-2").setCas(1).build());
        asOperator().get("/v1/secrets/" + path).then().statusCode(200).body("version", equalTo(2)).body("data.token", equalTo("grpc-value-2"));
        assertEquals("grpc-value-1", operator.getSecret(GetSecretRequest.newBuilder().setPath(path).setVersion(1).build()).getDataOrThrow("token"));

        var listed = operator.listSecrets(ListSecretsRequest.newBuilder().setPrefix(path).build());
        assertEquals(List.of(path), listed.getPathsList());
        var metadata = operator.getSecretMetadata(GetSecretMetadataRequest.newBuilder().setPath(path).build());
        assertEquals(2, metadata.getCurrentVersion());
        assertEquals(2, metadata.getVersionsCount());

        assertEquals(List.of(2), operator.deleteSecretVersions(SecretVersionsRequest.newBuilder().setPath(path).build()).getVersionsList());
        var gone = assertThrows(StatusRuntimeException.class, () -> operator.getSecret(GetSecretRequest.newBuilder().setPath(path).build()));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        assertEquals(List.of(2), operator.undeleteSecretVersions(SecretVersionsRequest.newBuilder().setPath(path).addVersions(2).build())
                .getVersionsList());
        var destroy = assertThrows(StatusRuntimeException.class, () -> operator.destroySecretVersions(SecretVersionsRequest.newBuilder()
                .setPath(path).addVersions(1).build()));
        assertEquals(Status.Code.PERMISSION_DENIED, destroy.getStatus().getCode(), "destroy is admin");

        List<String> actions = auditEventsAfter(before).stream().filter(e -> e.getResource().getId().equals(path)).map(AuditEvent::getAction)
                .toList();
        assertEquals(List.of("secret.write", "secret.write", "secret.read", "secret.read", "secret.list", "secret.metadata.read",
                "secret.delete", "secret.undelete", "secret.destroy"), actions);
        for (AuditEvent event : auditEventsAfter(before)) {
            assertFalse(event.toString().contains("grpc-value"), "no value in an audit record");
        }
    }

    /**
     * A burst of calls with a token the service has never seen: it is verified once, and every call is answered
     * (before, each call parsed it and asked Redis, and the checks queued on the event loop past their timeout).
     */
    @Test
    void aBurstWithAFreshTokenIsAnsweredWhole() throws Exception {
        String fresh = KeycloakTokens.service("auth");
        ManagedChannel burst = GrpcChannels.withToken(url, fresh);
        try {
            var stub = SecretsGrpc.newFutureStub(burst);
            List<com.google.common.util.concurrent.ListenableFuture<dev.sekisho.secrets.v1.VerifyApiKeyResponse>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                calls.add(stub.verifyApiKey(dev.sekisho.secrets.v1.VerifyApiKeyRequest.newBuilder().setApiKey("sek_nothing_here")
                        .setSourceIp("192.0.2.1").build()));
            }
            int refused = 0;
            for (var call : calls) {
                try {
                    assertFalse(call.get().getValid());
                } catch (java.util.concurrent.ExecutionException e) {
                    refused++;
                    System.out.println("refused: " + e.getCause());
                }
            }
            assertEquals(0, refused, "calls refused");
        } finally {
            burst.shutdownNow();
        }
    }

    @Test
    void badRequestsAreInvalidArgumentAndPoliciesHold() {
        var traversal = assertThrows(StatusRuntimeException.class, () -> operator.putSecret(PutSecretRequest.newBuilder()
                .setPath("integrations/../admin").putData("k", "v").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, traversal.getStatus().getCode());
        assertFalse(traversal.getStatus().getDescription().contains(".."), "the path is not echoed");
        var empty = assertThrows(StatusRuntimeException.class, () -> operator.putSecret(PutSecretRequest.newBuilder()
                .setPath("integrations/" + unique("empty")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        var denied = assertThrows(StatusRuntimeException.class, () -> operator.putSecret(PutSecretRequest.newBuilder()
                .setPath("admin/" + unique("root")).putData("k", "v").build()));
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    }

    @Test
    void tokensOverGrpc() {
        String value = unique("jane") + "@example.com";
        var issued = operator.tokenize(TokenizeRequest.newBuilder().setNamespace("customers").addValues(value).addValues(value).build());
        assertEquals(2, issued.getTokensCount());
        assertEquals(issued.getTokens(0).getToken(), issued.getTokens(1).getToken());
        assertTrue(issued.getTokens(0).getToken().startsWith("tok_"));
        var refused = assertThrows(StatusRuntimeException.class, () -> operator.detokenize(DetokenizeRequest.newBuilder()
                .setNamespace("customers").addTokens(issued.getTokens(0).getToken()).build()));
        assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), "the operator tokenizes but may not detokenize");
        Map<String, Object> revealed = SecretsTest.asAdmin().body(Map.of("tokens", List.of(issued.getTokens(0).getToken())))
                .post("/v1/tokens/detokenize/customers").then().statusCode(200).extract().path("values[0]");
        assertEquals(value, revealed.get("value"));
    }
}
