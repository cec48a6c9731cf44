package dev.sekisho.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.auth.peers.FakePeersTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/**
 * The realm in deploy/keycloak does what auth-service relies on: a user with TOTP gets tokens through the direct
 * grant only with a valid, unused code that the test computes itself, like an authenticator app would.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class KeycloakDirectGrantTest {

    static final String CLIENT_ID = "sekisho-auth";
    static final String CLIENT_SECRET = "sekisho-auth-dev-secret";
    static final String USER = "demo";
    static final String PASSWORD = "Sekisho-Demo-2026";
    static final String TOTP_SECRET = "sekisho-demo-totp-secret";

    @Test
    void passwordAndCorrectTotpCodeGetTokens() {
        String access = grant(PASSWORD, Totp.fresh(TOTP_SECRET)).statusCode(200)
                .body("token_type", equalTo("Bearer"))
                .body("access_token", not(emptyOrNullString()))
                .body("refresh_token", not(emptyOrNullString()))
                .extract().path("access_token");
        // the realm's direct grant flow names its steps: the token says a one-time code was checked
        assertEquals(List.of("pwd", "otp"), claims(access).getList("amr"));
    }

    /** A user without TOTP passes Keycloak's conditional OTP step; amr shows it, and auth-service refuses it. */
    @Test
    void aPasswordOnlyGrantSaysSoInAmr() {
        String access = dev.sekisho.testing.fixtures.KeycloakTokens.user(dev.sekisho.testing.fixtures.KeycloakTokens.BOB,
                dev.sekisho.testing.fixtures.KeycloakTokens.BOB_PASSWORD, null);
        assertEquals(List.of("pwd"), claims(access).getList("amr"));
    }

    private static io.restassured.path.json.JsonPath claims(String token) {
        return new io.restassured.path.json.JsonPath(new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aWrongTotpCodeIsRejected() {
        rejected(grant(PASSWORD, Totp.wrong(TOTP_SECRET)));
    }

    @Test
    void aMissingTotpCodeIsRejected() {
        rejected(grant(PASSWORD, null));
    }

    @Test
    void theSameTotpCodeWorksOnlyOnce() {
        String code = Totp.fresh(TOTP_SECRET);
        grant(PASSWORD, code).statusCode(200);
        rejected(grant(PASSWORD, code));
    }

    @Test
    void aWrongPasswordIsRejectedEvenWithAValidCode() {
        rejected(grant("not-the-password", Totp.fresh(TOTP_SECRET)));
    }

    /** Keycloak answers a failed direct grant with OAuth's 400 invalid_grant, whatever failed. */
    private static void rejected(ValidatableResponse response) {
        response.statusCode(400).body("error", equalTo("invalid_grant")).body("access_token", nullValue());
    }

    private static ValidatableResponse grant(String password, String totp) {
        String keycloak = ConfigProvider.getConfig().getValue("sekisho.keycloak.url", String.class);
        var request = given().contentType("application/x-www-form-urlencoded")
                .formParam("grant_type", "password")
                .formParam("client_id", CLIENT_ID)
                .formParam("client_secret", CLIENT_SECRET)
                .formParam("username", USER)
                .formParam("password", password)
                .formParam("scope", "openid");
        if (totp != null) {
            request.formParam("totp", totp);
        }
        return request.when().post(keycloak + "/realms/sekisho/protocol/openid-connect/token").then();
    }
}
