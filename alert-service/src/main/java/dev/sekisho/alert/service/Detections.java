package dev.sekisho.alert.service;

import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.detection.RuleCompiler;
import dev.sekisho.alert.detection.RuleSet;
import dev.sekisho.common.policy.PolicyDirectory;
import dev.sekisho.peers.PolicyChanges;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The detection rules in force and their hot reload (libs/common {@link PolicyDirectory}, as every service's policy
 * files): a changed set is compiled whole; an invalid set is refused with file, line and reason, the previous rules stay
 * in force, and readiness reports it. No files: no rules (signals are accepted and nothing fires).
 */
@ApplicationScoped
public class Detections {

    @Inject
    PolicyChanges policyChanges;

    @Inject
    AlertSettings settings;

    private final PolicyDirectory<RuleSet> rules = new PolicyDirectory<>("detection rules", RuleSet.EMPTY, RuleCompiler::compile,
            RuleSet::size, false, Logger.getLogger(Detections.class));

    void onStart(@Observes StartupEvent event) {
        rules.reload(settings.rulesDirs().stream().map(Path::of).toList()); // the set a service starts with is no change
    }

    public RuleSet current() {
        return rules.current();
    }

    public PolicyDirectory.Status status() {
        return rules.status();
    }

    public HealthCheckResponse readiness() {
        return rules.readiness("detection rules", "rules");
    }

    @Scheduled(every = "${sekisho.alert.reload-interval}", delayed = "${sekisho.alert.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void reload() {
        policyChanges.recordNow(rules.reload(settings.rulesDirs().stream().map(Path::of).toList()));
    }
}
