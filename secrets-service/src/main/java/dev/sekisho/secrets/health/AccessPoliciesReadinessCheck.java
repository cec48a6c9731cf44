package dev.sekisho.secrets.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.secrets.access.AccessRegistry;

/**
 * Ready when a valid set of access policies is in force (without one everything is denied). A refused reload keeps
 * the service ready (the previous policies still apply) and is reported here with its file, line and reason.
 */
@Readiness
@ApplicationScoped
public class AccessPoliciesReadinessCheck implements HealthCheck {

    @Inject
    AccessRegistry registry;

    @Override
    public HealthCheckResponse call() {
        return registry.readiness();
    }
}
