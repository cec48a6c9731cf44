package dev.sekisho.auth.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.PeerGuards;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.faulttolerance.api.Guard;

/**
 * The resilience of auth-service's calls to its peers, each from its own {@code sekisho.auth.*} settings. Singletons:
 * SmallRye Fault Tolerance applies a guard only as the Guard API built it, not through a client proxy.
 */
@ApplicationScoped
public class Guards {

    static final String LOGIN_BUDGET = "ratelimit-login-budget";
    static final String GATEWAY_BUDGET = "ratelimit-gateway-budget";
    static final String API_KEYS = "secrets-verify-api-key";

    @Produces
    @Singleton
    @Identifier(LOGIN_BUDGET)
    Guard loginBudget(AuthSettings settings) {
        return PeerGuards.of(LOGIN_BUDGET, settings.loginBudget());
    }

    @Produces
    @Singleton
    @Identifier(GATEWAY_BUDGET)
    Guard gatewayBudget(AuthSettings settings) {
        return PeerGuards.of(GATEWAY_BUDGET, settings.gatewayBudget());
    }

    @Produces
    @Singleton
    @Identifier(API_KEYS)
    Guard apiKeys(AuthSettings settings) {
        return PeerGuards.of(API_KEYS, settings.apiKeys());
    }
}
