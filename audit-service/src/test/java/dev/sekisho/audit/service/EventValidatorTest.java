package dev.sekisho.audit.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EventValidatorTest {

    @Test
    void secretLookingNamesAreRecognised() {
        for (String name : new String[] {"password", "client_secret", "Authorization", "otp_code", "session_cookie", "x-api_key"}) {
            assertTrue(EventValidator.looksSecret(name), name);
        }
        assertFalse(EventValidator.looksSecret("username"));
    }
}
