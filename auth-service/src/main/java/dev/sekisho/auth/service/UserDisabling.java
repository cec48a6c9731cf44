package dev.sekisho.auth.service;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.api.AuditLimits;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.service.AccessReview.Disabled;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * The emergency brake, the same over REST (an admin) and gRPC (an alert playbook): the user is disabled in Keycloak,
 * their sessions end, every token they hold is refused by every service, and the act is audited with the real actor
 * and signalled to alert-service before the caller hears it was done.
 */
@ApplicationScoped
public class UserDisabling {

    /** As audit-service stores a reason; longer ones are refused before anything is done, not cut. */
    static final int MAX_REASON = AuditLimits.REASON;

    @Inject
    AccessReview review;

    @Inject
    SecurityEvents events;

    /** @param privilegedToo whether admins and service accounts may be disabled (an admin asks, not a playbook) */
    public Uni<Disabled> disable(String user, String reason, Who actor, boolean privilegedToo) {
        String why = reason == null ? "" : reason;
        if (why.length() > MAX_REASON) {
            return Uni.createFrom().failure(ProblemException.badRequest("reason must be at most " + MAX_REASON + " characters"));
        }
        return Uni.createFrom().item(() -> review.disable(user, privilegedToo))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .call(disabled -> events.audit("auth.user.disabled", actor, "user", disabled.userId(), Outcome.OUTCOME_SUCCESS, why,
                        Map.of("username", disabled.username(), "was_enabled", String.valueOf(disabled.wasEnabled()))))
                .call(disabled -> events.signal("auth.user.disabled", Severity.SEVERITY_WARNING,
                        "user disabled by " + actor.id(), Map.of("user", disabled.username(), "actor", actor.id())));
    }
}
