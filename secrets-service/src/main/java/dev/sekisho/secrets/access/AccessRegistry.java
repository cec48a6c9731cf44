package dev.sekisho.secrets.access;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;

import dev.sekisho.common.policy.PolicyDirectory;
import dev.sekisho.common.policy.PolicyFiles;
import dev.sekisho.peers.PolicyChanges;
import dev.sekisho.secrets.config.SecretsSettings;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The access policies in force and their hot reload, as ratelimit's policies (libs/common {@link PolicyDirectory}):
 * a changed set is loaded whole; an invalid set is refused with file, line and reason, the previous policies stay in
 * force, and readiness reports it. Before any valid set was loaded, and with no files, everything is denied.
 */
@ApplicationScoped
public class AccessRegistry {

    @Inject
    PolicyChanges policyChanges;

    @Inject
    SecretsSettings settings;

    private final PolicyDirectory<AccessPolicy> policies = new PolicyDirectory<>("secrets access policies", AccessPolicy.DENY_ALL,
            AccessRegistry::compile, AccessPolicy::rules, true, Logger.getLogger(AccessRegistry.class));

    void onStart(@Observes StartupEvent event) {
        policies.reload(Path.of(settings.policiesDir())); // the set a service starts with is no change
    }

    public AccessPolicy current() {
        return policies.current();
    }

    public HealthCheckResponse readiness() {
        return policies.readiness("access policies", "rules");
    }

    @Scheduled(every = "${sekisho.secrets.reload-interval}", delayed = "${sekisho.secrets.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void reload() {
        policyChanges.recordNow(policies.reload(Path.of(settings.policiesDir())));
    }

    private static AccessPolicy compile(List<Path> files) throws dev.sekisho.common.policy.InvalidPolicyException {
        List<AccessRules> parsed = new ArrayList<>();
        for (Path file : files) {
            parsed.add(PolicyFiles.read(file, AccessRules.class));
        }
        return AccessPolicy.of(parsed);
    }
}
