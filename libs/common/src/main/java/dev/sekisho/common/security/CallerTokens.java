package dev.sekisho.common.security;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;

/**
 * Authenticates callers' bearer tokens in every service with SmallRye JWT, as its validator does (Keycloak's keys,
 * issuer, audience, expiry: the suite-wide mp.jwt.* settings), but remembers a verified token until it expires. A
 * peer presents the same service token on thousands of calls a second (Introspect, an outbox relaying audit events
 * one Record call each); without this every call paid for an RSA signature check on a worker thread. Ranked ahead
 * of SmallRye's own validator, which is thereby never asked.
 */
@ApplicationScoped
public class CallerTokens implements IdentityProvider<TokenAuthenticationRequest> {

    static final int CACHE_SIZE = 1_000;

    @Inject
    JWTParser parser;

    private final Cache<String, JsonWebToken> verified = Caffeine.newBuilder()
            .maximumSize(CACHE_SIZE)
            .expireAfter(Expiry.creating((String token, JsonWebToken jwt) ->
                    Duration.between(Instant.now(), Instant.ofEpochSecond(jwt.getExpirationTime()))))
            .build();

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public int priority() {
        return 1; // SmallRye JWT's validator has the default, 0
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        String token = request.getToken().getToken();
        JsonWebToken known = verified.getIfPresent(token);
        if (known != null && known.getExpirationTime() > Instant.now().getEpochSecond()) {
            return Uni.createFrom().item(identity(known, request));
        }
        // the first sight of a token may fetch Keycloak's keys, which blocks
        return context.runBlocking(() -> {
            JsonWebToken jwt;
            try {
                jwt = parser.parse(token);
            } catch (ParseException e) {
                throw new AuthenticationFailedException("invalid bearer token");
            }
            verified.put(token, jwt);
            return identity(jwt, request);
        });
    }

    private static SecurityIdentity identity(JsonWebToken jwt, TokenAuthenticationRequest request) {
        QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(jwt)
                .addCredential(request.getToken());
        if (jwt.getGroups() != null) {
            identity.addRoles(jwt.getGroups());
        }
        return identity.build();
    }
}
