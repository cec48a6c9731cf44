package dev.sekisho.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.testing.KeycloakAdmin;
import dev.sekisho.testing.KeycloakTestResource;
import dev.sekisho.testing.RedisTestResource;
import dev.sekisho.testing.Totp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A realm whose tokens do not say how the user authenticated (no amr mapper on auth-service's client): MFA is then
 * checked through Keycloak's admin API, and the answer is the same as with the claim.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class MfaFallbackTest {

    static final String PASSWORD = "Fallback-Password-2026";

    @Test
    void withoutTheAmrClaimTheAdminApiDecides() {
        // users of this test alone: the fake budget counts every attempt of a username
        String withTotp = "fallback-totp-" + UUID.randomUUID();
        String totpSecret = "fallback-totp-secret-" + UUID.randomUUID();
        String passwordOnly = "fallback-pwd-" + UUID.randomUUID();
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(withTotp, PASSWORD, totpSecret),
                new KeycloakAdmin.NewUser(passwordOnly, PASSWORD, null)));
        Runnable restore = KeycloakAdmin.removeClientMapper("sekisho-auth", "amr");
        try {
            String token = LoginTest.login(withTotp, PASSWORD, Totp.fresh(totpSecret))
                    .then().statusCode(200).extract().path("access_token");
            String claims = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
            assertFalse(claims.contains("\"amr\""), "the token has no amr claim, so the admin API was asked");

            // a user without TOTP: Keycloak grants on the password alone, auth-service refuses and undoes the grant
            LoginTest.refused(LoginTest.login(passwordOnly, PASSWORD, null));
            FakePeers.await(() -> FakePeers.audited("auth.login.failed", passwordOnly).stream()
                    .anyMatch(e -> e.getReason().equals("mfa_not_configured")), "refusal audited with its reason");
        } finally {
            restore.run();
        }
    }
}
