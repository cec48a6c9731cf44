package dev.sekisho.auth.token;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Verifies a bearer token locally: signature against Keycloak's JWKS (SmallRye JWT keeps the key set and fetches
 * it again for an unknown key id), issuer, audience, expiry, then the shared revocation list. Keycloak is not
 * called per token, so verification keeps working while Keycloak is down for as long as its keys are cached.
 */
@ApplicationScoped
public class TokenVerifier {

    /** Far more than any JWT Keycloak issues; longer input is refused before parsing. */
    static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final Duration REDIS_TIMEOUT = Duration.ofMillis(250);

    /** Tokens already verified, until they expire: a gateway presents the same token many times a second. */
    static final int VERIFIED_CACHE_SIZE = 10_000;

    @Inject
    JWTParser parser;

    @Inject
    Revocations revocations;

    private final Cache<String, VerifiedToken> verified = Caffeine.newBuilder()
            .maximumSize(VERIFIED_CACHE_SIZE)
            .expireAfter(Expiry.creating((String token, VerifiedToken v) -> Duration.between(Instant.now(), v.expiresAt())))
            .build();

    /**
     * Signature and claims (from the cache when this exact token was verified before; otherwise on a worker thread,
     * since fetching Keycloak's keys blocks), then the revocation list, which is always asked.
     */
    public Uni<VerifiedToken> verify(String token) {
        VerifiedToken known = token == null ? null : verified.getIfPresent(token);
        Uni<VerifiedToken> checked = known != null && known.expiresAt().isAfter(Instant.now())
                ? Uni.createFrom().item(known)
                : Uni.createFrom().item(() -> parse(token)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                        .invoke(v -> verified.put(token, v));
        return checked.flatMap(verified -> revocations.check(verified)
                        .ifNoItem().after(REDIS_TIMEOUT).fail()
                        .onFailure().transform(e -> new RevocationListUnavailable())
                        .map(reason -> {
                            if (reason != null) {
                                throw new InvalidToken(reason);
                            }
                            return verified;
                        }));
    }

    /** Signature, issuer, audience and expiry; no revocation check. Blocking only while keys are fetched. */
    public VerifiedToken parse(String token) {
        if (token == null || token.isBlank()) {
            throw new InvalidToken("no token");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidToken("token too long");
        }
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException e) {
            throw new InvalidToken(reason(e));
        }
        String scope = jwt.getClaim("scope");
        List<String> scopes = scope == null || scope.isBlank() ? List.of() : Arrays.asList(scope.trim().split("\\s+"));
        Set<String> groups = jwt.getGroups();
        return new VerifiedToken(jwt.getSubject(), jwt.getClaim("preferred_username"),
                groups == null ? List.of() : groups.stream().sorted().toList(), scopes, jwt.getClaim("azp"),
                jwt.getTokenID(), jwt.getIssuer(), jwt.getIssuedAtTime() > 0 ? Instant.ofEpochSecond(jwt.getIssuedAtTime()) : null,
                Instant.ofEpochSecond(jwt.getExpirationTime()));
    }

    /** A short reason a caller can act on; SmallRye's messages can quote claims, so they are not passed on. */
    private static String reason(ParseException e) {
        String text = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()).toLowerCase();
        if (text.contains("expir")) {
            return "expired";
        }
        if (text.contains("aud")) {
            return "wrong audience";
        }
        if (text.contains("iss")) {
            return "wrong issuer";
        }
        if (text.contains("signature") || text.contains("key") || text.contains("alg")) {
            return "bad signature";
        }
        return "malformed";
    }

    /** The token of an {@code Authorization: Bearer ...} header, or null. */
    public static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /** Redis did not answer: a token cannot be shown not to be revoked, so it is not accepted. */
    public static class RevocationListUnavailable extends RuntimeException {
        public RevocationListUnavailable() {
            super("the revocation list is unavailable", null, false, false);
        }
    }
}
