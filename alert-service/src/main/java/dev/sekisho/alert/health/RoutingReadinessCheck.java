package dev.sekisho.alert.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.alert.service.Routes;

/** Reports the routing in force: receivers, when loaded, the last refused reload with its file and reason. */
@Readiness
@ApplicationScoped
public class RoutingReadinessCheck implements HealthCheck {

    @Inject
    Routes routes;

    @Override
    public HealthCheckResponse call() {
        return routes.readiness();
    }
}
