package dev.sekisho.auth.client;

import java.util.concurrent.TimeoutException;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;

import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.common.tracing.Steps;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.MultiMap;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;

/**
 * auth-service's calls to Keycloak's token endpoints. Each call is bounded by {@code sekisho.auth.keycloak-timeout};
 * repeated timeouts and 5xx open a circuit breaker so that an unwell Keycloak is not hammered and callers get a
 * 503 at once. A refused grant (400/401) is an answer, not a failure.
 *
 * <p>The calls go through Vert.x's web client on the caller's event loop: each is one form post and one JSON answer,
 * and the auth benchmark (docs/benchmarks.md) measured the REST client's layers adding one to two milliseconds to
 * every grant, where a login service on this path has about five to spend in all.
 */
@ApplicationScoped
public class Keycloak {

    @Inject
    Vertx vertx;

    @Inject
    AuthSettings settings;

    @Inject
    Steps steps;

    @Inject
    MeterRegistry metrics;

    @ConfigProperty(name = "sekisho.keycloak.url")
    String keycloakUrl;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realm;

    private WebClient client;
    private String tokenUrl;
    private String logoutUrl;
    private Timer tokenCalls;
    private Timer logoutCalls;

    @PostConstruct
    void open() {
        client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true)
                .setConnectTimeout((int) settings.keycloakTimeout().toMillis())
                .setUserAgent("sekisho-auth-service"));
        String endpoints = keycloakUrl.replaceAll("/+$", "") + "/realms/" + realm + "/protocol/openid-connect";
        tokenUrl = endpoints + "/token";
        logoutUrl = endpoints + "/logout";
        tokenCalls = timer("token");
        logoutCalls = timer("logout");
    }

    private Timer timer(String endpoint) {
        return Timer.builder("sekisho_keycloak_call").tag("endpoint", endpoint)
                .description("Calls to Keycloak's OpenID Connect endpoints, answered or not").register(metrics);
    }

    @PreDestroy
    void close() {
        client.close();
    }

    /** Password + TOTP direct grant. The code goes to Keycloak as {@code totp}; Keycloak checks and burns it. */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> passwordGrant(String username, String password, String totp) {
        MultiMap form = clientForm("password")
                .add("username", username)
                .add("password", password)
                .add("scope", "openid");
        if (totp != null) {
            form.add("totp", totp);
        }
        return steps.tracedThroughout("keycloak token grant", () -> tokens(form));
    }

    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> refresh(String refreshToken) {
        return steps.tracedThroughout("keycloak token refresh", () -> tokens(clientForm("refresh_token").add("refresh_token", refreshToken)));
    }

    /** Client credentials for a machine client: its own id and secret, passed through. */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<TokenSet> clientCredentials(String clientId, String clientSecret, String scope) {
        MultiMap form = MultiMap.caseInsensitiveMultiMap()
                .add("grant_type", "client_credentials")
                .add("client_id", clientId)
                .add("client_secret", clientSecret);
        if (scope != null && !scope.isBlank()) {
            form.add("scope", scope);
        }
        return steps.tracedThroughout("keycloak client credentials grant", () -> tokens(form));
    }

    /** Ends the session a refresh token belongs to (every token of that session stops refreshing). */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5000, skipOn = GrantRejected.class)
    public Uni<Void> logout(String refreshToken) {
        return steps.tracedThroughout("keycloak logout", () -> post(logoutUrl, logoutCalls, clientForm(null).add("refresh_token", refreshToken)))
                .replaceWithVoid();
    }

    private MultiMap clientForm(String grantType) {
        MultiMap form = MultiMap.caseInsensitiveMultiMap();
        if (grantType != null) {
            form.add("grant_type", grantType);
        }
        return form.add("client_id", settings.clientId()).add("client_secret", settings.clientSecret().orElse(""));
    }

    private Uni<TokenSet> tokens(MultiMap form) {
        return post(tokenUrl, tokenCalls, form).map(response -> {
            JsonObject body;
            try {
                body = response.bodyAsJsonObject();
            } catch (DecodeException e) {
                body = null;
            }
            if (body == null) {
                throw new KeycloakUnavailable("Keycloak answered a token request without a JSON body", null);
            }
            return TokenSet.of(body.getMap());
        });
    }

    /** The form posted; 2xx is the answer, 4xx a refusal, anything else (5xx, no answer in time) unavailability. */
    private Uni<HttpResponse<Buffer>> post(String url, Timer timer, MultiMap form) {
        Timer.Sample sample = Timer.start();
        return client.postAbs(url).timeout(settings.keycloakTimeout().toMillis()).putHeader("Accept", "application/json")
                .sendForm(form)
                .ifNoItem().after(settings.keycloakTimeout()).fail()
                .onTermination().invoke(() -> sample.stop(timer))
                .onFailure().transform(Keycloak::unavailable)
                .map(Keycloak::answered);
    }

    private static HttpResponse<Buffer> answered(HttpResponse<Buffer> response) {
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return response;
        }
        if (status >= 400 && status < 500) {
            throw new GrantRejected(errorCode(response));
        }
        throw new KeycloakUnavailable("Keycloak answered " + status, null);
    }

    private static Throwable unavailable(Throwable failure) {
        if (failure instanceof KeycloakUnavailable) {
            return failure;
        }
        String what = failure instanceof TimeoutException ? "no answer in time" : failure.getClass().getSimpleName();
        return new KeycloakUnavailable(what, null);
    }

    /** Keycloak's OAuth error code (invalid_grant, ...), for the log and the audit record only. */
    private static String errorCode(HttpResponse<Buffer> response) {
        try {
            JsonObject body = response.bodyAsJsonObject();
            if (body != null && body.getValue("error") != null) {
                return String.valueOf(body.getValue("error"));
            }
        } catch (DecodeException ignored) {
            // an unreadable error body still is a refusal
        }
        return "http_" + response.statusCode();
    }
}
