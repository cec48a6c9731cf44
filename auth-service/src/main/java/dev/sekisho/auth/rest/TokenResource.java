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

import dev.sekisho.auth.client.TokenSet;
import dev.sekisho.auth.service.Logins;
import dev.sekisho.auth.service.Sessions;
import dev.sekisho.common.security.TokenVerifier;
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
    Sessions sessions;

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
        return sessions.refresh(request.refreshToken(), ip(http), http.getHeader(HttpHeaders.USER_AGENT)).map(TokenResponse::of);
    }

    @POST
    @Path("/logout")
    @Operation(summary = "Revoke the refresh token and deny the bearer access token in every service until it expires")
    public Uni<Map<String, Object>> logout(LogoutRequest request, @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            HttpServerRequest http) {
        return sessions.logout(request == null ? null : request.refreshToken(), TokenVerifier.bearer(authorization), ip(http),
                        http.getHeader(HttpHeaders.USER_AGENT))
                .map(done -> Map.<String, Object>of("revoked", true,
                        "access_token_denied_until", done.accessDeniedUntil() == null ? "" : done.accessDeniedUntil().toString()));
    }

    @POST
    @Path("/service-token")
    @Operation(summary = "Client credentials: a token for a machine client")
    public Uni<TokenResponse> serviceToken(@NotNull @Valid ServiceTokenRequest request, HttpServerRequest http) {
        return sessions.serviceToken(request.clientId(), request.clientSecret(), request.scope(), ip(http),
                http.getHeader(HttpHeaders.USER_AGENT)).map(TokenResponse::of);
    }

    private String ip(HttpServerRequest http) {
        return clientAddress.of(http);
    }

}
