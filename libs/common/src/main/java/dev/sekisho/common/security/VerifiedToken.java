package dev.sekisho.common.security;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import io.quarkus.security.identity.SecurityIdentity;

/** The identity a valid token carries. Holds no token text. */
public record VerifiedToken(String subject, String username, List<String> roles, List<String> scopes, String clientId,
        String tokenId, String issuer, Instant issuedAt, Instant expiresAt, List<String> amr) {

    /** The {@link SecurityIdentity} attribute under which {@link CallerTokens} keeps the verified token. */
    public static final String ATTRIBUTE = "sekisho.verified-token";

    /** Keycloak names a client's service-account user after the client, and no second user can take that name. */
    static final String SERVICE_ACCOUNT_PREFIX = "service-account-";

    /**
     * A machine's token (client credentials) rather than a person's: its user is the service account of the very
     * client it was issued to. A person's token names a person and the client they logged in through.
     */
    public boolean isServiceAccount() {
        return username != null && clientId != null
                && username.equalsIgnoreCase(SERVICE_ACCOUNT_PREFIX + clientId.toLowerCase(Locale.ROOT));
    }

    /** Keycloak checked a one-time code when this token's session began (the direct grant names it {@code otp}). */
    public boolean provesOneTimeCode() {
        return amr.contains("otp");
    }

    /** Who acted, as audit records name them: the person's username, or the machine's client id. */
    public String actorId() {
        return isServiceAccount() ? clientId : username != null ? username : subject;
    }

    /**
     * The service this token speaks for, as audit records name the emitter: a Sekisho service's account is
     * {@code svc-<name>} and the service {@code <name>-service}; any other machine client is named by its client id.
     * Null for a person.
     */
    public String serviceName() {
        if (!isServiceAccount()) {
            return null;
        }
        return clientId.startsWith("svc-") ? clientId.substring(4) + "-service" : clientId;
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    /** The verified token behind an authenticated identity; null for an anonymous one. */
    public static VerifiedToken of(SecurityIdentity identity) {
        return identity == null || identity.isAnonymous() ? null : identity.getAttribute(ATTRIBUTE);
    }
}
