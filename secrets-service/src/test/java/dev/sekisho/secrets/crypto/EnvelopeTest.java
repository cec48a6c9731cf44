package dev.sekisho.secrets.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class EnvelopeTest {

    private static final String K1 = key();
    private static final String K2 = key();
    private static final byte[] VALUE = "{\"password\":\"correct horse\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aSealedVersionOpensOnlyAtItsOwnPathAndVersion() throws Exception {
        Envelope envelope = new Envelope(MasterKeyRing.parse("1:" + K1, Optional.empty()));
        Envelope.Sealed sealed = envelope.seal("integrations/crm", 3, VALUE);
        assertArrayEquals(VALUE, envelope.open("integrations/crm", 3, sealed));
        assertThrows(Envelope.TamperedException.class, () -> envelope.open("integrations/crm", 2, sealed), "moved to another version");
        assertThrows(Envelope.TamperedException.class, () -> envelope.open("integrations/erp", 3, sealed), "moved to another path");
    }

    @Test
    void aChangedByteInTheValueOrTheWrappedKeyIsRefused() throws Exception {
        Envelope envelope = new Envelope(MasterKeyRing.parse("1:" + K1, Optional.empty()));
        Envelope.Sealed sealed = envelope.seal("a/b", 1, VALUE);
        byte[] value = sealed.ciphertext().clone();
        value[0] ^= 1;
        assertThrows(Envelope.TamperedException.class,
                () -> envelope.open("a/b", 1, new Envelope.Sealed(sealed.nonce(), value, sealed.wrappedKey(), 1)));
        byte[] key = sealed.wrappedKey().clone();
        key[key.length - 1] ^= 1;
        assertThrows(Envelope.TamperedException.class,
                () -> envelope.open("a/b", 1, new Envelope.Sealed(sealed.nonce(), sealed.ciphertext(), key, 1)));
        assertThrows(Envelope.TamperedException.class,
                () -> envelope.open("a/b", 1, new Envelope.Sealed(sealed.nonce(), sealed.ciphertext(), new byte[3], 1)));
    }

    @Test
    void everyVersionGetsItsOwnDataKeyAndNonce() {
        Envelope envelope = new Envelope(MasterKeyRing.parse("1:" + K1, Optional.empty()));
        Envelope.Sealed one = envelope.seal("a/b", 1, VALUE);
        Envelope.Sealed two = envelope.seal("a/b", 1, VALUE);
        assertFalse(java.util.Arrays.equals(one.ciphertext(), two.ciphertext()));
        assertFalse(java.util.Arrays.equals(one.wrappedKey(), two.wrappedKey()));
    }

    @Test
    void rewrapMovesTheDataKeyToTheCurrentMasterKeyWithoutTouchingTheValue() throws Exception {
        Envelope old = new Envelope(MasterKeyRing.parse("1:" + K1, Optional.empty()));
        Envelope.Sealed sealed = old.seal("a/b", 7, VALUE);
        Envelope rotated = new Envelope(MasterKeyRing.parse("1:" + K1 + ",2:" + K2, Optional.empty()));
        assertEquals(2, rotated.ring().currentVersion());
        assertArrayEquals(VALUE, rotated.open("a/b", 7, sealed), "the old version still reads");
        Envelope.Sealed rewrapped = rotated.rewrap("a/b", 7, sealed);
        assertEquals(2, rewrapped.masterVersion());
        assertArrayEquals(sealed.ciphertext(), rewrapped.ciphertext());
        Envelope withoutOld = new Envelope(MasterKeyRing.parse("2:" + K2, Optional.empty()));
        assertArrayEquals(VALUE, withoutOld.open("a/b", 7, rewrapped), "version 1 may leave the ring");
        assertThrows(Envelope.UnknownMasterKeyException.class, () -> withoutOld.open("a/b", 7, sealed));
        // a wrapped key relabelled with another master version does not open
        assertThrows(Envelope.TamperedException.class, () -> rotated.open("a/b", 7,
                new Envelope.Sealed(sealed.nonce(), sealed.ciphertext(), sealed.wrappedKey(), 2)));
    }

    @Test
    void aBadRingIsRefusedWithoutQuotingAKey() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        var e = assertThrows(IllegalArgumentException.class, () -> MasterKeyRing.parse("1:" + shortKey, Optional.empty()));
        assertFalse(e.getMessage().contains(shortKey), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MasterKeyRing.parse("1:" + K1 + ",1:" + K2, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> MasterKeyRing.parse("", Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> MasterKeyRing.parse("1:" + K1, Optional.of(2)));
        var notBase64 = assertThrows(IllegalArgumentException.class, () -> MasterKeyRing.parse("1:not*base64", Optional.empty()));
        assertFalse(notBase64.getMessage().contains("not*base64"));
    }

    private static String key() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
