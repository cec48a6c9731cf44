package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;

/** The audit signing key is never silently replaced, and a pinned public key admits no other. */
class AuditSigningKeyTest {

    @Test
    void aMissingKeyWithCheckpointsStoredIsARefusalToStart() throws Exception {
        Suite suite = RunningSuite.get();
        awaitACheckpoint(suite);
        Path missing = Files.createTempDirectory(Path.of("target"), "lost-key").resolve("audit-signing.key");
        Map<String, String> env = new HashMap<>(suite.environment(SekishoService.AUDIT));
        env.put("SEKISHO_AUDIT_SIGNING_KEY_FILE", missing.toString());
        String log = refusedStart(env);
        assertTrue(log.contains("is missing while") && log.contains("signed checkpoint(s) exist"), log);
        assertFalse(Files.exists(missing), "no new key was written in the lost one's place");
    }

    @Test
    void aKeyOtherThanThePinnedOneIsARefusalToStart() throws Exception {
        Suite suite = RunningSuite.get();
        Map<String, String> env = new HashMap<>(suite.environment(SekishoService.AUDIT));
        env.put("SEKISHO_AUDIT_SIGNING_PUBLIC_KEY", Base64.getEncoder().encodeToString(otherPublicKey()));
        String log = refusedStart(env);
        assertTrue(log.contains("is not the pinned one"), log);
    }

    /** An auditor's read is itself audited; the quiet tail is signed within the checkpoint interval. */
    private static void awaitACheckpoint(Suite suite) throws SQLException {
        given().auth().oauth2(KeycloakTokens.auditor()).get(suite.url(SekishoService.AUDIT) + "/v1/audit/events?limit=1")
                .then().statusCode(200);
        PostgresServer.Connection db = SharedServers.postgres().withDatabase(SekishoService.AUDIT.database());
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try (var connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                    var rows = connection.createStatement().executeQuery("select count(*) from audit_checkpoint")) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, "audit-service signed no checkpoint");
            Ports.sleep(500);
        }
    }

    private static byte[] otherPublicKey() throws NoSuchAlgorithmException {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
    }

    private static String refusedStart(Map<String, String> env) throws IOException {
        Path log = Files.createTempFile(Path.of("target"), "audit-key", ".log");
        ServiceLauncher launched = ServiceLauncher.launch(Path.of(System.getProperty("sekisho.root")), SekishoService.AUDIT,
                Ports.free(), env, log);
        try {
            assertNotEquals(0, launched.awaitExit(Duration.ofMinutes(3)), "audit-service refused to start (-1: it still runs)");
        } finally {
            launched.stop();
        }
        return Files.readString(log);
    }
}
