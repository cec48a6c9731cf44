package dev.sekisho.auth.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** X-Forwarded-For counts only behind trusted proxies, and a client cannot pick its own address with it. */
class ClientAddressTest {

    private final ClientAddress behindProxy = new ClientAddress(List.of("10.0.0.0/8", "127.0.0.1", "fd00::/8"));

    @Test
    void withoutTrustedProxiesTheHeaderIsIgnored() {
        assertEquals("203.0.113.9", new ClientAddress(List.of()).resolve("203.0.113.9", "198.51.100.1"));
    }

    @Test
    void aTrustedProxyNamesTheClient() {
        assertEquals("198.51.100.7", behindProxy.resolve("10.1.2.3", "198.51.100.7"));
        assertEquals("198.51.100.7", behindProxy.resolve("127.0.0.1", "198.51.100.7, 10.9.9.9"));
        assertEquals("2001:db8::1", behindProxy.resolve("fd00::5", "2001:db8::1"));
    }

    @Test
    void addressesLeftOfTheFirstUntrustedHopAreTheClientsOwnClaims() {
        // the client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw
        assertEquals("198.51.100.7", behindProxy.resolve("10.0.0.1", "1.1.1.1, 198.51.100.7"));
    }

    @Test
    void anUntrustedPeerCannotForgeItsAddress() {
        assertEquals("198.51.100.7", behindProxy.resolve("198.51.100.7", "10.0.0.1"));
    }

    @Test
    void garbageAndNamesInTheHeaderAreNotBelieved() {
        assertEquals("10.0.0.1", behindProxy.resolve("10.0.0.1", "evil.example.com"));
        assertEquals("10.0.0.1", behindProxy.resolve("10.0.0.1", "<script>, '; DROP TABLE"));
        assertEquals("198.51.100.7", behindProxy.resolve("10.0.0.1", "bad.host, 198.51.100.7"));
    }

    @Test
    void aMisconfiguredProxyListFailsLoudly() {
        assertThrows(IllegalArgumentException.class, () -> new ClientAddress(List.of("proxy.internal")));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddress(List.of("10.0.0.0/33")));
    }
}
