package dev.sekisho.peers;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.api.AuditLimits;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.policy.PolicyDirectory;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

/**
 * Every hot reload of a service's policy files that changed something, in the audit log and as a signal: a new set in
 * force is {@code policy.reloaded} with the files added, removed and modified and the size before and after; a
 * changed set refused is {@code policy.rejected} with the reason. Both are signalled as {@code policy.changed}, so a
 * rule can fire on a change nobody announced. The actor is the service itself: files carry no author.
 */
@ApplicationScoped
public class PolicyChanges {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(PolicyChanges.class);

    @Inject
    SecurityEvents events;

    @ConfigProperty(name = "quarkus.application.name")
    String service;

    /** Records what a reload changed; nothing for null (nothing changed, or the set a service started with). */
    public Uni<Void> record(PolicyDirectory.Change change) {
        if (change == null) {
            return Uni.createFrom().voidItem();
        }
        String summary = cut(change.summary(), AuditLimits.REASON);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("policy", change.what());
        attributes.put("added", cut(String.join(",", change.added()), 1024));
        attributes.put("removed", cut(String.join(",", change.removed()), 1024));
        attributes.put("modified", cut(String.join(",", change.modified()), 1024));
        attributes.put("size_before", String.valueOf(change.sizeBefore()));
        attributes.put("size_after", String.valueOf(change.sizeAfter()));
        Who self = Who.client(service, "", "");
        return events.audit(change.loaded() ? "policy.reloaded" : "policy.rejected", self, "policy", change.what(),
                        change.loaded() ? Outcome.OUTCOME_SUCCESS : Outcome.OUTCOME_ERROR, summary, attributes)
                .chain(() -> events.signal("policy.changed", change.loaded() ? Severity.SEVERITY_INFO : Severity.SEVERITY_WARNING,
                        cut(change.what() + " " + summary, 512), Map.of("policy", change.what(), "outcome", change.loaded() ? "loaded" : "rejected")));
    }

    /**
     * {@link #record}, from a scheduler's worker thread (where a policy reload reads its files): on a Vert.x context of
     * its own, waited for, so the record is in the outbox before the next reload. A failure is logged, never thrown:
     * the new policies are in force either way.
     */
    public void recordNow(PolicyDirectory.Change change) {
        if (change == null) {
            return;
        }
        try {
            VertxContextSupport.subscribeAndAwait(() -> record(change));
        } catch (Throwable e) {
            LOG.errorf("the change of %s could not be recorded: %s", change.what(), e.getClass().getSimpleName());
        }
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
