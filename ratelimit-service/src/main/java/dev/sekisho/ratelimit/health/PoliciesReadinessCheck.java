package dev.sekisho.ratelimit.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.ratelimit.policy.PolicyRegistry;

/**
 * Ready when a valid set of policies is in force. A refused reload keeps the service ready (the previous
 * policies still apply) but is reported here, with its file, line and reason, until a valid set is loaded.
 */
@Readiness
@ApplicationScoped
public class PoliciesReadinessCheck implements HealthCheck {

    @Inject
    PolicyRegistry registry;

    @Override
    public HealthCheckResponse call() {
        return registry.readiness();
    }
}
