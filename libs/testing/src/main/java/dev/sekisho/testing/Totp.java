package dev.sekisho.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** RFC 6238 time-based one-time passwords, computed the way an authenticator app does, for tests. */
public final class Totp {

    public static final int PERIOD_SECONDS = 30;
    public static final int DIGITS = 6;

    /** Codes handed out, JVM-wide: Quarkus loads test helpers in more than one class loader. */
    private static final String ISSUED = "sekisho.testing.totp-issued.";

    private Totp() {
    }

    /** The code for a time, HMAC-SHA1 over the time step, dynamic truncation (RFC 4226, section 5.3). */
    public static String code(byte[] key, Instant at, int digits, String algorithm) {
        long step = Math.floorDiv(at.getEpochSecond(), PERIOD_SECONDS);
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            byte[] hash = mac.doFinal(ByteBuffer.allocate(Long.BYTES).putLong(step).array());
            int offset = hash[hash.length - 1] & 0x0f;
            int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
                    | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
            int modulus = (int) Math.pow(10, digits);
            return String.format("%0" + digits + "d", binary % modulus);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " unavailable", e);
        }
    }

    /**
     * The current code for a Keycloak realm-JSON OTP secret: Keycloak keys the HMAC with the UTF-8 bytes of
     * {@code secretData.value}.
     */
    public static String now(String keycloakSecret) {
        return code(keycloakSecret.getBytes(StandardCharsets.UTF_8), Instant.now(), DIGITS, "HmacSHA1");
    }

    /**
     * A code this JVM has not handed out before for the secret, waiting for the next time step if needed:
     * Keycloak accepts each code once, so two tests (or two class loaders of one test run) must not share one.
     */
    public static String fresh(String keycloakSecret) {
        while (true) {
            String code = now(keycloakSecret);
            synchronized (System.getProperties()) {
                if (System.getProperties().putIfAbsent(ISSUED + keycloakSecret + ":" + code, "1") == null) {
                    return code;
                }
            }
            long millisIntoStep = System.currentTimeMillis() % (PERIOD_SECONDS * 1000L);
            Ports.sleep(PERIOD_SECONDS * 1000L - millisIntoStep + 50);
        }
    }

    /** A six-digit code that is not the current one, nor one of its neighbours that Keycloak's look-ahead accepts. */
    public static String wrong(String keycloakSecret) {
        byte[] key = keycloakSecret.getBytes(StandardCharsets.UTF_8);
        Instant now = Instant.now();
        Set<String> valid = Set.of(
                code(key, now.minusSeconds(PERIOD_SECONDS), DIGITS, "HmacSHA1"),
                code(key, now, DIGITS, "HmacSHA1"),
                code(key, now.plusSeconds(PERIOD_SECONDS), DIGITS, "HmacSHA1"));
        for (int candidate = 0;; candidate += 111_111) {
            String code = String.format("%06d", candidate % 1_000_000);
            if (!valid.contains(code)) {
                return code;
            }
        }
    }
}
