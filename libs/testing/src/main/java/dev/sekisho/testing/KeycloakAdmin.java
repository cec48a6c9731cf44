package dev.sekisho.testing;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Map;

/** What tests read from or change in the shared Keycloak through its admin API. */
public final class KeycloakAdmin {

    private KeycloakAdmin() {
    }

    /** A token of the master realm's admin (KC_BOOTSTRAP_ADMIN_*), for changes to the realm a test makes. */
    public static String masterToken() {
        return given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("client_id", "admin-cli").formParam("username", "admin")
                .formParam("password", System.getenv().getOrDefault("SEKISHO_KEYCLOAK_ADMIN_PASSWORD", "admin"))
                .post(SharedServers.keycloak() + "/realms/master/protocol/openid-connect/token").then().statusCode(200)
                .extract().path("access_token");
    }

    /**
     * LOGIN_ERROR events Keycloak stored for a username: how many login attempts reached Keycloak, by Keycloak's
     * own count. Read with auth-service's service account (view-events), as the access review reads them.
     */
    public static int loginErrors(String username) {
        String admin = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "client_credentials").formParam("client_id", "sekisho-auth")
                .formParam("client_secret", "sekisho-auth-dev-secret")
                .post(SharedServers.keycloak() + "/realms/" + KeycloakServer.REALM + "/protocol/openid-connect/token")
                .then().statusCode(200).extract().path("access_token");
        List<Map<String, Object>> events = given().auth().oauth2(admin).queryParam("type", "LOGIN_ERROR").queryParam("max", 2000)
                .get(SharedServers.keycloak() + "/admin/realms/" + KeycloakServer.REALM + "/events").then().statusCode(200)
                .extract().jsonPath().getList("$");
        return (int) events.stream().filter(e -> e.get("details") instanceof Map<?, ?> d && username.equals(d.get("username")))
                .count();
    }
}
