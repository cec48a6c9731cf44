package dev.sekisho.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class TotpTest {

    private static final byte[] RFC_6238_SHA1_KEY = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @Test
    void matchesTheRfc6238TestVectors() {
        assertEquals("94287082", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(59), 8, "HmacSHA1"));
        assertEquals("07081804", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(1111111109), 8, "HmacSHA1"));
        assertEquals("14050471", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(1111111111), 8, "HmacSHA1"));
        assertEquals("89005924", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(1234567890), 8, "HmacSHA1"));
        assertEquals("69279037", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(2000000000), 8, "HmacSHA1"));
    }

    @Test
    void sixDigitCodesKeepTheirLeadingZeros() {
        // 07081804 truncated to six digits
        assertEquals("081804", Totp.code(RFC_6238_SHA1_KEY, Instant.ofEpochSecond(1111111109), 6, "HmacSHA1"));
    }

    @Test
    void aWrongCodeIsNeverTheCurrentOne() {
        String secret = "some-keycloak-otp-secret";
        assertNotEquals(Totp.now(secret), Totp.wrong(secret));
    }

    @Test
    void freshCodesAreNeverHandedOutTwice() {
        String secret = "fresh-code-secret-" + System.nanoTime();
        String first = Totp.fresh(secret);
        String second = Totp.fresh(secret); // waits for the next 30 s step
        assertNotEquals(first, second);
    }
}
