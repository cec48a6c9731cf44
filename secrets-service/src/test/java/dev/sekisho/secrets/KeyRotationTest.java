package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.count;
import static dev.sekisho.secrets.SecretsTest.jdbc;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.MasterKeyRing;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * After a master-key rotation (version 2 added to the ring): what version 1 wrapped still reads, the rewrap moves
 * every data key to version 2 without touching a value, and version 1 may then leave the ring.
 */
@QuarkusTest
@TestProfile(KeyRotationTest.RotatedRing.class)
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class KeyRotationTest {

    static final String K1 = "gF/pcV/Mo/gKH0MShKsEllAhQsoX1ke/OI58Ugzi3/8=";
    static final String K2 = "HdMqFt5+jBgAVZD1ZiU3syKSr2lHowNuRgQw3k9VHpY=";

    public static class RotatedRing implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sekisho.secrets.master-keys", "1:" + K1 + ",2:" + K2, "sekisho.secrets.rewrap-batch", "2");
        }
    }

    @Test
    void afterRotationAndRewrapEveryVersionReadsAndTheOldKeyCanGo() throws Exception {
        String path = "integrations/" + SecretsTest.unique("rotated");
        // three versions written before the rotation: sealed under master version 1, as the old ring did
        Envelope before = new Envelope(MasterKeyRing.parse("1:" + K1, Optional.empty()));
        try (Connection c = jdbc()) {
            c.createStatement().execute("insert into secret (path, current_version, max_versions, created_by) values ('" + path + "', 3, 10, 'demo')");
            for (int version = 1; version <= 3; version++) {
                Envelope.Sealed sealed = before.seal(path, version, ("{\"k\":\"v" + version + "\"}").getBytes(StandardCharsets.UTF_8));
                var insert = c.prepareStatement("insert into secret_version (path, version, created_by, nonce, ciphertext, wrapped_key, "
                        + "master_version) values (?, ?, 'demo', ?, ?, ?, 1)");
                insert.setString(1, path);
                insert.setInt(2, version);
                insert.setBytes(3, sealed.nonce());
                insert.setBytes(4, sealed.ciphertext());
                insert.setBytes(5, sealed.wrappedKey());
                insert.execute();
            }
        }
        asOperator().get("/v1/secrets/" + path + "?version=2").then().statusCode(200).body("data.k", equalTo("v2"));
        asOperator().body(Map.of("data", Map.of("k", "v4"))).put("/v1/secrets/" + path).then().statusCode(200);
        assertEquals(1, count("select count(*) from secret_version where path = '" + path + "' and master_version = 2"),
                "a new version is wrapped by the current master key");
        asAdmin().get("/v1/keyring").then().statusCode(200).body("current", equalTo(2))
                .body("versions.find { it.version == 1 }.removable", equalTo(false));
        byte[] ciphertextBefore = ciphertext(path, 1);

        asOperator().post("/v1/keyring/rewrap").then().statusCode(403);
        var rewrap = asAdmin().post("/v1/keyring/rewrap").then().statusCode(200).extract().jsonPath();
        assertEquals(0, count("select count(*) from secret_version where path = '" + path + "' and master_version = 1"));
        // what still needs version 1 is what does not open (other tests' deliberately damaged rows in this database):
        // the keyring says exactly that, and calls version 1 removable only once nothing needs it
        long left = count("select count(*) from secret_version where master_version = 1");
        assertEquals(left, rewrap.getLong("damaged"));
        assertEquals(left, rewrap.getLong("status.versions.find { it.version == 1 }.dataKeys"));
        assertEquals(left == 0, rewrap.getBoolean("status.versions.find { it.version == 1 }.removable"));
        assertEquals(true, rewrap.getInt("rewrapped") >= 3);
        assertArrayEquals(ciphertextBefore, ciphertext(path, 1), "the value was not touched");
        for (int version = 1; version <= 4; version++) {
            asOperator().get("/v1/secrets/" + path + "?version=" + version).then().statusCode(200).body("data.k", equalTo("v" + version));
        }
        // version 1 may leave the ring: a ring of version 2 alone opens what is stored
        Envelope after = new Envelope(MasterKeyRing.parse("2:" + K2, Optional.empty()));
        try (Connection c = jdbc(); ResultSet rs = c.createStatement().executeQuery(
                "select nonce, ciphertext, wrapped_key, master_version from secret_version where path = '" + path + "' and version = 1")) {
            rs.next();
            assertArrayEquals("{\"k\":\"v1\"}".getBytes(StandardCharsets.UTF_8), after.open(path, 1,
                    new Envelope.Sealed(rs.getBytes(1), rs.getBytes(2), rs.getBytes(3), rs.getInt(4))));
        }
    }

    private static byte[] ciphertext(String path, int version) throws Exception {
        try (Connection c = jdbc(); ResultSet rs = c.createStatement().executeQuery(
                "select ciphertext from secret_version where path = '" + path + "' and version = " + version)) {
            rs.next();
            return rs.getBytes(1);
        }
    }
}
