package dev.sekisho.secrets.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.crypto.Envelope;
import dev.sekisho.secrets.crypto.MasterKeyRing;
import dev.sekisho.secrets.crypto.ValueHashes;

/** The keys from configuration, read once at start: a ring or HMAC key that cannot be read stops the start. */
@ApplicationScoped
public class Keys {

    @Produces
    @ApplicationScoped
    Envelope envelope(SecretsSettings settings) {
        try {
            return new Envelope(MasterKeyRing.parse(settings.masterKeys(), settings.masterKeyCurrent()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("sekisho.secrets.master-keys (SEKISHO_SECRETS_MASTER_KEYS): " + e.getMessage());
        }
    }

    @Produces
    @ApplicationScoped
    ValueHashes valueHashes(SecretsSettings settings) {
        return ValueHashes.fromBase64(settings.hmacKey());
    }
}
