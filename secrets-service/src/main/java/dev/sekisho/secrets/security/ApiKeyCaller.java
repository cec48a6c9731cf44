package dev.sekisho.secrets.security;

import java.util.List;

import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * An integration that called with one of its API keys instead of a bearer token: the key's id, owner and scopes (the
 * roles it acts with), as secrets-service verified them. Holds no key text.
 */
public record ApiKeyCaller(String keyId, String owner, List<String> scopes) {

    /** The {@link SecurityIdentity} attribute under which {@link ApiKeyAuthentication} keeps the caller. */
    public static final String ATTRIBUTE = "sekisho.api-key";

    /** The actor audit records name, as ext_authz's {@code x-sekisho-subject} does. */
    public String actorId() {
        return "apikey:" + keyId;
    }

    /**
     * Refuses an API key where only a token may act: managing keys (a key that mints keys would outlive its own
     * revocation), the keyring, and the admin's and auditor's reports. Keys open secrets, transit and tokenization.
     */
    public static void refuseOn(SecurityIdentity identity) {
        if (of(identity) != null) {
            throw new ProblemException(ProblemType.FORBIDDEN, "An API key opens secrets, transit and tokenization only; this needs a token.");
        }
    }

    /** The API key behind an authenticated identity; null for a token's identity or an anonymous one. */
    public static ApiKeyCaller of(SecurityIdentity identity) {
        return identity == null || identity.isAnonymous() ? null : identity.getAttribute(ATTRIBUTE);
    }
}
