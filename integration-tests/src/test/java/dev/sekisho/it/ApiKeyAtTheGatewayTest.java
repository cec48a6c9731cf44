package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.restassured.http.ContentType;

/**
 * An API key made in secrets-service for an approved integration opens a route at the gateway (auth-service's ext_authz
 * asks secrets-service over gRPC with its own token), and stops opening it while its integration is suspended, when
 * revoked, or presented from outside its allow-list.
 */
class ApiKeyAtTheGatewayTest {

    @Test
    void anApiKeyAuthorizesThroughExtAuthzUntilRevokedAndOnlyFromItsAddresses() {
        Suite suite = RunningSuite.get();
        String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        String integration = Registry.approvedIntegration(suite.url(SekishoService.SECRETS), operator);
        Map<String, Object> issued = given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator)
                .contentType(ContentType.JSON)
                .body(Map.of("name", "orders sync", "owner", "team-orders", "integrationId", integration, "scopes", List.of("operator"),
                        "allowedCidrs", List.of("203.0.113.0/24")))
                .post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
        String key = (String) issued.get("key");

        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", suite.port(SekishoService.AUTH)).usePlaintext().build();
        try {
            var authz = AuthorizationGrpc.newBlockingStub(channel);
            CheckResponse allowed = authz.check(check(key, "203.0.113.20", "operator"));
            assertEquals(0, allowed.getStatus().getCode(), allowed.toString());
            assertEquals("apikey:" + issued.get("id"), allowed.getOkResponse().getHeadersList().stream()
                    .filter(h -> h.getHeader().getKey().equals("x-sekisho-subject")).findFirst().orElseThrow().getHeader().getValue());
            assertEquals(403, authz.check(check(key, "203.0.113.20", "admin")).getDeniedResponse().getStatus().getCodeValue(),
                    "a scope it does not have");
            assertEquals(401, authz.check(check(key, "198.51.100.20", "operator")).getDeniedResponse().getStatus().getCodeValue(),
                    "from outside its allow-list");

            // its integration suspended in the registry: the very next check is refused (no cache between them), and
            // allowed again once an approver resumes it
            String approver = Registry.approver();
            given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(approver).contentType(ContentType.JSON)
                    .body(Map.of("reason", "data-flow review")).post("/v1/integrations/" + integration + "/suspend").then().statusCode(200);
            assertEquals(401, authz.check(check(key, "203.0.113.20", "operator")).getDeniedResponse().getStatus().getCodeValue(),
                    "its integration suspended");
            given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(approver).contentType(ContentType.JSON).body("{}")
                    .post("/v1/integrations/" + integration + "/resume").then().statusCode(200);
            assertEquals(0, authz.check(check(key, "203.0.113.20", "operator")).getStatus().getCode(), "its integration resumed");

            given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(operator).contentType(ContentType.JSON)
                    .body(Map.of("reason", "integration retired")).post("/v1/apikeys/" + issued.get("id") + "/revoke")
                    .then().statusCode(200);
            assertEquals(401, authz.check(check(key, "203.0.113.20", "operator")).getDeniedResponse().getStatus().getCodeValue(),
                    "revoked");
        } finally {
            channel.shutdownNow();
        }
    }

    private static CheckRequest check(String apiKey, String sourceIp, String requiredRole) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(sourceIp).setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("POST").setPath("/api/orders").putHeaders("x-api-key", apiKey)))
                .putContextExtensions("sekisho.required_role", requiredRole)).build();
    }
}
