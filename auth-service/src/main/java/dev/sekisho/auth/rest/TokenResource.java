package dev.sekisho.auth.rest;

import java.util.Map;

import jakarta.annotation.security.PermitAll;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.auth.keycloak.GrantRejected;
import dev.sekisho.auth.keycloak.Keycloak;
import dev.sekisho.auth.keycloak.TokenSet;
import dev.sekisho.auth.login.ClientAddress;
import dev.sekisho.auth.login.Logins;
import dev.sekisho.auth.token.InvalidToken;
import dev.sekisho.auth.token.Revocations;
import dev.sekisho.auth.token.TokenVerifier;
import dev.sekisho.auth.token.VerifiedToken;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/** Tokens for people (password + TOTP) and machines (client credentials), refresh and logout. */
@Path("/v1/auth")
@PermitAll
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {

    /** Printable, no control characters: anything else is refused before Keycloak sees it. */
    static final String PRINTABLE = "^[^\\p{Cntrl}]*$";

    public record LoginRequest(
            @NotBlank @Size(max = 255) @Pattern(regexp = PRINTABLE) String username,
            @NotBlank @Size(max = 1024) String password,
            @Size(max = 16) @Pattern(regexp = "^[0-9]*$", message = "must be digits") String totp) {
    }

    public record RefreshRequest(@NotBlank @Size(max = 16384) @JsonProperty("refresh_token") String refreshToken) {
    }

    public record LogoutRequest(@Size(max = 16384) @JsonProperty("refresh_token") String refreshToken) {
    }

    public record ServiceTokenRequest(
            @NotBlank @Size(max = 255) @Pattern(regexp = PRINTABLE) @JsonProperty("client_id") String clientId,
            @NotBlank @Size(max = 1024) @JsonProperty("client_secret") String clientSecret,
            @Size(max = 1024) @Pattern(regexp = PRINTABLE) String scope) {
    }

    /** OAuth 2.0's token response names, so existing client libraries can read it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenResponse(
            @JsonProperty("access_token") String accessToken,
            @JsonProperty("refresh_token") String refreshToken,
            @JsonProperty("expires_in") long expiresIn,
            @JsonProperty("refresh_expires_in") Long refreshExpiresIn,
            @JsonProperty("token_type") String tokenType,
            String scope) {

        static TokenResponse of(TokenSet t) {
            return new TokenResponse(t.accessToken(), t.refreshToken(), t.expiresIn(),
                    t.refreshToken() == null ? null : t.refreshExpiresIn(), t.tokenType(), t.scope());
        }
    }

    @Inject
    Logins logins;

    @Inject
    Keycloak keycloak;

    @Inject
    TokenVerifier verifier;

    @Inject
    Revocations revocations;

    @Inject
    SecurityEvents events;

    @Inject
    ClientAddress clientAddress;

    @POST
    @Path("/token")
    @Operation(summary = "Log in with username, password and TOTP code",
            description = "401 invalid-credentials for any bad credential; 429 with Retry-After when the attempt budget is spent")
    public Uni<TokenResponse> token(@NotNull @Valid LoginRequest login, HttpServerRequest http) {
        String totp = login.totp() == null || login.totp().isEmpty() ? null : login.totp();
        return logins.login(login.username(), login.password(), totp, ip(http), http.getHeader(HttpHeaders.USER_AGENT))
                .map(TokenResponse::of);
    }

    @POST
    @Path("/refresh")
    @Operation(summary = "Exchange a refresh token for new tokens")
    public Uni<TokenResponse> refresh(@NotNull @Valid RefreshRequest request, HttpServerRequest http) {
        return keycloak.refresh(request.refreshToken())
                .call(tokens -> {
                    VerifiedToken who = verifier.parse(tokens.accessToken());
                    return events.audit("auth.token.refreshed", Who.user(who.username(), ip(http), http.getHeader(HttpHeaders.USER_AGENT)),
                            "user", who.subject(), Outcome.OUTCOME_SUCCESS, "", Map.of());
                })
                .onFailure(GrantRejected.class).call(e -> events.audit("auth.token.refresh-failed",
                        new Who(dev.sekisho.audit.v1.ActorType.ACTOR_TYPE_ANONYMOUS, "", ip(http), http.getHeader(HttpHeaders.USER_AGENT), ""),
                        "token", "", Outcome.OUTCOME_FAILURE, ((GrantRejected) e).reason(), Map.of()))
                .onFailure(GrantRejected.class).transform(e -> new ProblemException(ProblemType.UNAUTHORIZED,
                        "The refresh token is not valid (expired, revoked or ended by a logout)."))
                .onFailure().transform(Logins::toProblem)
                .map(TokenResponse::of);
    }

    /**
     * Ends a session: the refresh token is revoked at Keycloak, and the access token presented as bearer is denied
     * by every auth-service instance until it expires.
     */
    @POST
    @Path("/logout")
    @Operation(summary = "Revoke the refresh token and deny the bearer access token until it expires")
    public Uni<Map<String, Object>> logout(LogoutRequest request, @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            HttpServerRequest http) {
        String refresh = request == null ? null : request.refreshToken();
        String bearer = TokenVerifier.bearer(authorization);
        if ((refresh == null || refresh.isBlank()) && bearer == null) {
            throw ProblemException.badRequest("Send the access token as bearer, the refresh token in the body, or both.");
        }
        VerifiedToken token;
        try {
            token = bearer == null ? null : verifier.parse(bearer);
        } catch (InvalidToken e) {
            throw new ProblemException(ProblemType.UNAUTHORIZED, "The access token is not valid: " + e.getMessage());
        }
        Uni<Void> denyAccess = token == null ? Uni.createFrom().voidItem() : revocations.revokeToken(token.tokenId(), token.expiresAt());
        Uni<Void> endSession = refresh == null || refresh.isBlank() ? Uni.createFrom().voidItem()
                : keycloak.logout(refresh).onFailure(GrantRejected.class).recoverWithNull();
        Who who = token == null ? new Who(dev.sekisho.audit.v1.ActorType.ACTOR_TYPE_ANONYMOUS, "", ip(http), http.getHeader(HttpHeaders.USER_AGENT), "")
                : Who.user(token.username(), ip(http), http.getHeader(HttpHeaders.USER_AGENT));
        return denyAccess.chain(() -> endSession)
                .call(() -> events.audit("auth.logout", who, "session", token == null ? "" : token.subject(), Outcome.OUTCOME_SUCCESS, "",
                        token == null ? Map.of() : Map.of("jti", String.valueOf(token.tokenId()))))
                .onFailure().transform(Logins::toProblem)
                .replaceWith(() -> Map.<String, Object>of("revoked", true,
                        "access_token_denied_until", token == null ? "" : token.expiresAt().toString()));
    }

    @POST
    @Path("/service-token")
    @Operation(summary = "Client credentials: a token for a machine client")
    public Uni<TokenResponse> serviceToken(@NotNull @Valid ServiceTokenRequest request, HttpServerRequest http) {
        Who who = Who.client(request.clientId(), ip(http), http.getHeader(HttpHeaders.USER_AGENT));
        return keycloak.clientCredentials(request.clientId(), request.clientSecret(), request.scope())
                .call(t -> events.audit("auth.service-token.issued", who, "client", request.clientId(), Outcome.OUTCOME_SUCCESS, "", Map.of()))
                .onFailure(GrantRejected.class).call(e -> events.audit("auth.service-token.failed", who, "client",
                        request.clientId(), Outcome.OUTCOME_FAILURE, ((GrantRejected) e).reason(), Map.of()))
                .onFailure(GrantRejected.class).transform(e -> new ProblemException(ProblemType.INVALID_CREDENTIALS,
                        "The client id or secret is not valid."))
                .onFailure().transform(Logins::toProblem)
                .map(TokenResponse::of);
    }

    private String ip(HttpServerRequest http) {
        return clientAddress.of(http);
    }

}
