package dev.sekisho.testing;

import static io.restassured.RestAssured.given;

import java.util.ArrayList;
import java.util.HashMap;
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

    /**
     * Removes the protocol mapper named {@code mapperName} from the realm's client {@code clientId}; the returned
     * action puts an equal mapper back. For tests of behaviour when Keycloak is configured without it.
     */
    public static Runnable removeClientMapper(String clientId, String mapperName) {
        String admin = masterToken();
        String clients = SharedServers.keycloak() + "/admin/realms/" + KeycloakServer.REALM + "/clients";
        String id = given().auth().oauth2(admin).queryParam("clientId", clientId).get(clients).then().statusCode(200)
                .extract().path("[0].id");
        String mappers = clients + "/" + id + "/protocol-mappers/models";
        List<Map<String, Object>> all = given().auth().oauth2(admin).get(mappers).then().statusCode(200)
                .extract().jsonPath().getList("$");
        Map<String, Object> mapper = new HashMap<>(all.stream().filter(m -> mapperName.equals(m.get("name")))
                .findFirst().orElseThrow(() -> new IllegalStateException(clientId + " has no mapper " + mapperName)));
        given().auth().oauth2(admin).delete(mappers + "/" + mapper.remove("id")).then().statusCode(204);
        return () -> given().auth().oauth2(masterToken()).contentType("application/json").body(mapper).post(mappers)
                .then().statusCode(201);
    }

    /** A user to create: with a TOTP credential when {@code totpSecret} is not null, with the given realm roles. */
    public record NewUser(String username, String password, String totpSecret, List<String> roles) {

        /** An operator, the role most tests' users need. */
        public NewUser(String username, String password, String totpSecret) {
            this(username, password, totpSecret, List.of("operator"));
        }
    }

    /** Creates users in the realm (Keycloak's partial import; users that exist already are left as they are). */
    public static void importUsers(List<NewUser> users) {
        List<Map<String, Object>> representations = new ArrayList<>();
        for (NewUser user : users) {
            List<Map<String, Object>> credentials = new ArrayList<>();
            credentials.add(Map.of("type", "password", "value", user.password(), "temporary", false));
            if (user.totpSecret() != null) {
                credentials.add(Map.of("type", "otp",
                        "secretData", "{\"value\":\"" + user.totpSecret() + "\"}",
                        "credentialData", "{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,\"algorithm\":\"HmacSHA1\"}"));
            }
            representations.add(Map.of("username", user.username(), "enabled", true, "email", user.username() + "@test.local",
                    "emailVerified", true, "firstName", "Test", "lastName", "User", "realmRoles", user.roles(),
                    "credentials", credentials));
        }
        given().auth().oauth2(masterToken()).contentType("application/json")
                .body(Map.of("ifResourceExists", "SKIP", "users", representations))
                .post(SharedServers.keycloak() + "/admin/realms/" + KeycloakServer.REALM + "/partialImport")
                .then().statusCode(200);
    }
}
