package dev.sekisho.ratelimit.policy;

import java.nio.file.Path;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;

import dev.sekisho.common.policy.PolicyDirectory;
import dev.sekisho.peers.PolicyChanges;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The policies in force, and their hot reload (libs/common {@link PolicyDirectory}): the directory is checked on a
 * schedule, and a changed set of files is loaded whole. An invalid set is refused with its file, line and reason;
 * the previous policies stay in force and readiness reports the refusal. No files: no limits.
 */
@ApplicationScoped
public class PolicyRegistry {

    @Inject
    PolicyChanges policyChanges;

    @Inject
    RateLimitSettings settings;

    private PolicyDirectory<PolicySet> policies;

    @PostConstruct
    void create() {
        policies = new PolicyDirectory<>("rate-limit policies", PolicySet.EMPTY,
                files -> new PolicyLoader(FailMode.parse(settings.defaultFailMode())).load(files), PolicySet::domainCount, false,
                Logger.getLogger(PolicyRegistry.class));
    }

    void onStart(@Observes StartupEvent event) {
        policies.reload(Path.of(settings.policiesDir())); // the set a service starts with is no change
    }

    public PolicySet current() {
        return policies.current();
    }

    public HealthCheckResponse readiness() {
        return policies.readiness("rate-limit policies", "domains");
    }

    @Scheduled(every = "${sekisho.ratelimit.reload-interval}", delayed = "${sekisho.ratelimit.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void reload() {
        policyChanges.recordNow(policies.reload(Path.of(settings.policiesDir())));
    }
}
