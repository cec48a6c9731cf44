package dev.sekisho.common.security;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.quarkus.redis.datasource.value.SetArgs;
import io.smallrye.mutiny.Uni;

/**
 * The deny list every instance of every service reads through Redis: single access tokens by {@code jti} until
 * they would have expired anyway (a logout), and whole users ("every token issued up to T", a disable).
 * auth-service writes it; {@link TokenVerifier} reads it.
 */
@ApplicationScoped
public class Revocations {

    /** One hash tag for both kinds, so a check is one MGET even on Redis Cluster. */
    static final String TOKEN_PREFIX = "{sekisho:auth:revoked}:jti:";
    static final String USER_PREFIX = "{sekisho:auth:revoked}:user:";
    /** Longer than any access token Keycloak issues in this realm (a token outliving it is refused anyway). */
    static final Duration USER_REVOCATION_TTL = Duration.ofHours(24);

    private final ReactiveValueCommands<String, String> values;

    @Inject
    public Revocations(ReactiveRedisDataSource redis) {
        this.values = redis.value(String.class);
    }

    public Uni<Void> revokeToken(String tokenId, Instant expiresAt) {
        Duration ttl = Duration.between(Instant.now(), expiresAt);
        if (tokenId == null || ttl.isNegative() || ttl.isZero()) {
            return Uni.createFrom().voidItem();
        }
        return values.set(TOKEN_PREFIX + tokenId, "1", new SetArgs().px(ttl.toMillis()));
    }

    /** Every token of this user issued up to now is refused from here on. */
    public Uni<Void> revokeUser(String subject) {
        return values.set(USER_PREFIX + subject, String.valueOf(Instant.now().getEpochSecond()),
                new SetArgs().ex(USER_REVOCATION_TTL));
    }

    /** Why the token is revoked, or null when it is not. One round trip to Redis. */
    public Uni<String> check(VerifiedToken token) {
        String byId = TOKEN_PREFIX + (token.tokenId() == null ? "" : token.tokenId());
        String byUser = USER_PREFIX + token.subject();
        return values.mget(byId, byUser).map(found -> {
            if (token.tokenId() != null && found.get(byId) != null) {
                return "revoked";
            }
            String user = found.get(byUser);
            if (user != null && token.issuedAt() != null && token.issuedAt().getEpochSecond() <= Long.parseLong(user)) {
                return "revoked: the user was disabled";
            }
            return null;
        });
    }
}
