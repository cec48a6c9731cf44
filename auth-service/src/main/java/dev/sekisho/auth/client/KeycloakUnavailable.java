package dev.sekisho.auth.client;

/** Keycloak did not answer in time, answered 5xx, or the circuit breaker is open. */
public class KeycloakUnavailable extends RuntimeException {

    public KeycloakUnavailable(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
