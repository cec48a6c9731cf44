package dev.sekisho.auth.token;

import java.time.Instant;
import java.util.List;

/** The identity a valid token carries. Holds no token text. */
public record VerifiedToken(String subject, String username, List<String> roles, List<String> scopes, String clientId,
        String tokenId, String issuer, Instant issuedAt, Instant expiresAt) {

    /** A service-account token (client credentials) rather than a person's. */
    public boolean isServiceAccount() {
        return username != null && username.startsWith("service-account-");
    }
}
