package dev.sekisho.secrets.security;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.persistence.FreshSession;
import dev.sekisho.secrets.service.Integrations;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * A machine token of an integration's service client is one of that integration's credentials here as at the gateway:
 * refused (401) while the integration is proposed, suspended or retired. The standing is kept for a second per client
 * (bounded), so a suspension reaches this service's API within a second and a busy client costs one query a second.
 */
@ApplicationScoped
public class ServiceClientStanding implements SecurityIdentityAugmentor {

    static final Duration KNOWN_FOR = Duration.ofSeconds(1);

    @Inject
    Integrations integrations;

    @Inject
    Vertx vertx;

    /** Keyed by verified tokens' client ids only (the realm's clients); capped all the same. */
    private final Cache<String, Integrations.Standing> standings = Caffeine.newBuilder().expireAfterWrite(KNOWN_FOR)
            .maximumSize(10_000).build();

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        VerifiedToken token = VerifiedToken.of(identity);
        if (token == null || !token.isServiceAccount()) {
            return Uni.createFrom().item(identity);
        }
        Integrations.Standing known = standings.getIfPresent(token.clientId());
        Uni<Integrations.Standing> standing = known != null ? Uni.createFrom().item(known)
                : FreshSession.run(vertx, () -> integrations.standing(token.clientId())).invoke(s -> standings.put(token.clientId(), s));
        return standing.map(s -> {
            if (s.governed() && !(s.state().equals("approved") || s.state().equals("active"))) {
                throw new AuthenticationFailedException("the token's client belongs to an integration that is " + s.state());
            }
            return identity;
        });
    }
}
