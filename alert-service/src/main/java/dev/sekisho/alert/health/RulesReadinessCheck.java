package dev.sekisho.alert.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.alert.service.Detections;

/**
 * Reports the detection rules in force: how many, from how many files, when loaded, and the last refused reload (with
 * its file, line and reason). Down only before a first set loaded from a directory that holds rules it refused.
 */
@Readiness
@ApplicationScoped
public class RulesReadinessCheck implements HealthCheck {

    @Inject
    Detections detections;

    @Override
    public HealthCheckResponse call() {
        return detections.readiness();
    }
}
