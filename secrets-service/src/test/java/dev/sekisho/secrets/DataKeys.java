package dev.sekisho.secrets;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A version's data key recovered from the database with the master key, written from the documented format
 * (README: nonce(12) || AES-256-GCM(data key) with "sekisho.secret.key.v1\npath\nversion\nmaster version" as
 * associated data), independently of the service's code.
 */
final class DataKeys {

    private DataKeys() {
    }

    static byte[] unwrap(String path, int version, byte[] masterKey) throws Exception {
        try (Connection c = SecretsTest.jdbc(); var st = c.prepareStatement(
                "select wrapped_key, master_version from secret_version where path = ? and version = ?")) {
            st.setString(1, path);
            st.setInt(2, version);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                byte[] wrapped = rs.getBytes(1);
                int master = rs.getInt(2);
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(masterKey, "AES"), new GCMParameterSpec(128, Arrays.copyOf(wrapped, 12)));
                cipher.updateAAD(("sekisho.secret.key.v1\n" + path + "\n" + version + "\n" + master).getBytes(StandardCharsets.UTF_8));
                return cipher.doFinal(wrapped, 12, wrapped.length - 12);
            }
        }
    }
}
