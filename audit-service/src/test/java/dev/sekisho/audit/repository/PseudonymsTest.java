package dev.sekisho.audit.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PseudonymsTest {

    private final Pseudonyms keyed = new Pseudonyms(Optional.of("a-secret-key"), Set.of("email", "ip"));

    @Test
    void theSameValueAlwaysGivesTheSamePseudonymSoExactSearchesWork() {
        String stored = keyed.of("alice@example.com");
        assertTrue(stored.startsWith("hmac:"), stored);
        assertFalse(stored.contains("alice"), stored);
        assertEquals(stored, keyed.of("alice@example.com"));
        assertNotEquals(stored, keyed.of("bob@example.com"));
    }

    @Test
    void anotherKeyGivesOtherPseudonyms() {
        assertNotEquals(keyed.of("198.51.100.7"), new Pseudonyms(Optional.of("another-key"), Set.of()).of("198.51.100.7"));
    }

    @Test
    void onlyTheListedAttributesAndOnlyWithAKey() {
        assertTrue(keyed.appliesToAttribute("Email"));
        assertFalse(keyed.appliesToAttribute("path"));
        Pseudonyms off = new Pseudonyms(Optional.empty(), Set.of("email"));
        assertFalse(off.appliesToAttribute("email"));
        assertEquals("198.51.100.7", off.of("198.51.100.7"));
        assertEquals("", keyed.of(""));
    }
}
