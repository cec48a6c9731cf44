package dev.sekisho.auth.client;

/**
 * Keycloak refused a grant (wrong password, code or user, disabled or locked user, expired refresh token). Not
 * a Keycloak failure: it does not trip the circuit breaker. The reason is Keycloak's error code, for the log
 * and the audit record, never shown to the caller.
 */
public class GrantRejected extends RuntimeException {

    private final String reason;

    public GrantRejected(String reason) {
        super("grant rejected: " + reason, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
