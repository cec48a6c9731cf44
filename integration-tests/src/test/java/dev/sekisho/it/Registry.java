package dev.sekisho.it;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.restassured.http.ContentType;

/** The integration registry as the tests use it: an integration proposed by an operator and approved by erin. */
final class Registry {

    private Registry() {
    }

    /** A new integration, approved (one approver: it handles internal data only); its id, for the API keys it gets. */
    static String approvedIntegration(String secretsUrl, String operatorToken) {
        String id = given().baseUri(secretsUrl).auth().oauth2(operatorToken).contentType(ContentType.JSON)
                .body(Map.of("name", "it-" + UUID.randomUUID().toString().substring(0, 8), "department", "engineering",
                        "purpose", "integration tests", "dataClasses", List.of("internal"), "destinations", List.of("api.example.com")))
                .post("/v1/integrations").then().statusCode(201).extract().path("id");
        given().baseUri(secretsUrl).auth().oauth2(approver()).contentType(ContentType.JSON).body("{}")
                .post("/v1/integrations/" + id + "/approve").then().statusCode(200);
        return id;
    }

    static String approver() {
        return KeycloakTokens.user(KeycloakTokens.ERIN, KeycloakTokens.ERIN_PASSWORD, KeycloakTokens.ERIN_TOTP);
    }

    static String secretsUrl() {
        return RunningSuite.get().url(SekishoService.SECRETS);
    }
}
