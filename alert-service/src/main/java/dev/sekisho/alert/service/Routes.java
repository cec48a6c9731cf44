package dev.sekisho.alert.service;

import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.routing.Routing;
import dev.sekisho.common.policy.PolicyDirectory;
import dev.sekisho.peers.PolicyChanges;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The routing in force (route tree, receivers, inhibitions, escalations) and its hot reload, as the rules'. No routing
 * files: every alert goes to the log receiver.
 */
@ApplicationScoped
public class Routes {

    @Inject
    PolicyChanges policyChanges;

    @Inject
    AlertSettings settings;

    private final PolicyDirectory<Routing> routing = new PolicyDirectory<>("alert routing", Routing.DEFAULT, Routing::compile,
            Routing::size, false, Logger.getLogger(Routes.class));

    void onStart(@Observes StartupEvent event) {
        routing.reload(Path.of(settings.routingDir())); // the set a service starts with is no change
    }

    public Routing current() {
        return routing.current();
    }

    public HealthCheckResponse readiness() {
        return routing.readiness("alert routing", "receivers");
    }

    @Scheduled(every = "${sekisho.alert.reload-interval}", delayed = "${sekisho.alert.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void reload() {
        policyChanges.recordNow(routing.reload(Path.of(settings.routingDir())));
    }
}
