package dev.sekisho.ratelimit.service;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.common.security.CallerPermissions;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import dev.sekisho.ratelimit.policy.PolicyRegistry;
import io.smallrye.mutiny.Uni;

/**
 * Who may spend a domain's budgets. Open domains (what Envoy calls) are decided for anyone who can reach the service,
 * as Envoy's protocol requires: the caller's token is not even looked at. A protected domain (the login budget, and
 * any marked {@code protected: true}) is decided only for a verified caller holding {@code ratelimit:decide:<domain>}:
 * otherwise anyone on the network could spend a user's login budget and keep them locked out.
 */
@ApplicationScoped
public class DomainAccess {

    private static final Uni<Void> OPEN = Uni.createFrom().voidItem();

    @Inject
    PolicyRegistry policies;

    @Inject
    CallerPermissions callers;

    private final Set<String> configured;

    @Inject
    public DomainAccess(RateLimitSettings settings) {
        this.configured = Set.copyOf(settings.protectedDomains());
    }

    public boolean isProtected(String domain) {
        return configured.contains(domain) || policies.current().isProtected(domain);
    }

    /** Completes when the caller may spend the domain; fails with a 401 / 403 problem otherwise. */
    public Uni<Void> authorize(String domain) {
        if (!isProtected(domain)) {
            return OPEN;
        }
        return callers.require(Permissions.decide(domain)).replaceWithVoid();
    }
}
