package dev.sekisho.common.security;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How every service verifies bearer tokens ({@code sekisho.tokens.*}; environment {@code SEKISHO_TOKENS_*}).
 * Keycloak's keys, issuer and audience are SmallRye JWT's {@code mp.jwt.*} keys, set suite-wide in libs/common.
 */
@ConfigMapping(prefix = "sekisho.tokens")
public interface TokenSettings {

    /**
     * How long a token found not revoked is believed without asking the revocation list again. Half the suite's
     * promise that a logout or disable reaches every instance of every service within a second.
     */
    @WithDefault("500ms")
    Duration revocationCheckInterval();

    /** How long the revocation list (Redis) may take; past it the token is not accepted (503 / UNAVAILABLE). */
    @WithDefault("250ms")
    Duration revocationTimeout();

    /** Tokens remembered as verified, until they expire: a gateway presents the same token many times a second. */
    @WithDefault("10000")
    int cacheSize();

    /** Far more than any JWT Keycloak issues; longer input is refused before parsing. */
    @WithDefault("16384")
    int maxLength();
}
