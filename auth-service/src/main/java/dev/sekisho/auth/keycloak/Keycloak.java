package dev.sekisho.auth.keycloak;

import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import dev.sekisho.auth.config.AuthSettings;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.mutiny.Uni;

/**
 * auth-service's calls to Keycloak's token endpoints. Each call is bounded by {@code sekisho.auth.keycloak-timeout};
 * repeated timeouts and 5xx open a circuit breaker so that an unwell Keycloak is not hammered and callers get a
 * 503 at once. A refused grant (400/401) is an answer, not a failure.
 */
@ApplicationScoped
public class Keycloak {

    @Inject
    @RestClient
    KeycloakTokenEndpoint endpoint;

    @Inject
    AuthSettings settings;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realm;

    /** Password + TOTP direct grant. The code goes to Keycloak as {@code totp}; Keycloak checks and burns it. */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> passwordGrant(String username, String password, String totp) {
        MultivaluedMap<String, String> form = clientForm("password");
        form.add("username", username);
        form.add("password", password);
        form.add("scope", "openid");
        if (totp != null) {
            form.add("totp", totp);
        }
        return call(endpoint.token(realm, form).map(TokenSet::of));
    }

    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> refresh(String refreshToken) {
        MultivaluedMap<String, String> form = clientForm("refresh_token");
        form.add("refresh_token", refreshToken);
        return call(endpoint.token(realm, form).map(TokenSet::of));
    }

    /** Client credentials for a machine client: its own id and secret, passed through. */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> clientCredentials(String clientId, String clientSecret, String scope) {
        MultivaluedMap<String, String> form = new MultivaluedHashMap<>();
        form.add("grant_type", "client_credentials");
        form.add("client_id", clientId);
        form.add("client_secret", clientSecret);
        if (scope != null && !scope.isBlank()) {
            form.add("scope", scope);
        }
        return call(endpoint.token(realm, form).map(TokenSet::of));
    }

    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<Void> logout(String refreshToken) {
        MultivaluedMap<String, String> form = clientForm(null);
        form.add("refresh_token", refreshToken);
        return call(endpoint.logout(realm, form));
    }

    private MultivaluedMap<String, String> clientForm(String grantType) {
        MultivaluedMap<String, String> form = new MultivaluedHashMap<>();
        if (grantType != null) {
            form.add("grant_type", grantType);
        }
        form.add("client_id", settings.clientId());
        form.add("client_secret", settings.clientSecret());
        return form;
    }

    private <T> Uni<T> call(Uni<T> request) {
        return request.ifNoItem().after(settings.keycloakTimeout()).fail()
                .onFailure().transform(Keycloak::classify);
    }

    /** 4xx: Keycloak's answer to bad credentials. Anything else: Keycloak is not available. */
    static Throwable classify(Throwable failure) {
        if (failure instanceof WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status >= 400 && status < 500) {
                return new GrantRejected(errorCode(e));
            }
            return new KeycloakUnavailable("Keycloak answered " + status, null);
        }
        String what = failure instanceof TimeoutException ? "no answer in time" : failure.getClass().getSimpleName();
        return new KeycloakUnavailable(what, null);
    }

    private static String errorCode(WebApplicationException e) {
        try {
            Object body = e.getResponse().readEntity(java.util.Map.class);
            if (body instanceof java.util.Map<?, ?> map && map.get("error") != null) {
                return String.valueOf(map.get("error"));
            }
        } catch (RuntimeException ignored) {
            // an unreadable error body still is a refusal
        }
        return "http_" + e.getResponse().getStatus();
    }
}
