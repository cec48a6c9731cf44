package dev.sekisho.auth;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.Totp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A realm whose tokens do not say how the user authenticated (no amr mapper on auth-service's client): no service
 * could tell a password-only token from one with a one-time code, so no login passes, with or without TOTP.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class MfaWithoutAmrTest {

    static final String PASSWORD = "Fallback-Password-2026";

    @Test
    void withoutTheAmrClaimNoLoginPasses() {
        // a user of this test alone: the fake budget counts every attempt of a username
        String withTotp = "fallback-totp-" + UUID.randomUUID();
        String totpSecret = "fallback-totp-secret-" + UUID.randomUUID();
        KeycloakAdmin.importUsers(List.of(new KeycloakAdmin.NewUser(withTotp, PASSWORD, totpSecret)));
        Runnable restore = KeycloakAdmin.removeClientMapper("sekisho-auth", "amr");
        try {
            LoginTest.refused(LoginTest.login(withTotp, PASSWORD, Totp.fresh(totpSecret)));
            FakePeers.await(() -> FakePeers.audited("auth.login.failed", withTotp).stream()
                    .anyMatch(e -> e.getReason().equals("mfa_not_shown")), "refusal audited with its reason");
        } finally {
            restore.run();
        }
        // with the mapper back, the same user logs in
        LoginTest.login(withTotp, PASSWORD, Totp.fresh(totpSecret)).then().statusCode(200);
    }
}
