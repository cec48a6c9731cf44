package dev.sekisho.alert.service;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.client.AuthClient;
import dev.sekisho.alert.client.RatelimitClient;
import dev.sekisho.alert.client.SecretsClient;
import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.detection.PlaybookAction;
import dev.sekisho.alert.repository.ActionStore;
import dev.sekisho.alert.repository.AlertStore;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.net.Cidr;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.common.tracing.Steps;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Carries out the playbook actions recorded with new alerts: block an address or a user in ratelimit-service, disable
 * a user through auth-service, revoke an API key in secrets-service. Each action is checked first: service accounts,
 * {@code protected-users} and {@code protected-networks} are never targets (auth-service also refuses admins to a
 * playbook); dry runs only record; at most {@code max-per-minute} of a kind are carried out per minute by all instances
 * together (counted under a lock in PostgreSQL, so a flood of alerts cannot disable everyone). The outcome is in the
 * alert's actions and history and in the audit log. A peer that does not answer is tried again, with backoff.
 */
@ApplicationScoped
public class Playbooks {

    private static final Logger LOG = Logger.getLogger(Playbooks.class);
    static final Duration CLAIM = Duration.ofSeconds(60);

    @Inject
    Steps steps;

    @Inject
    ActionStore actions;

    @Inject
    AlertStore alerts;

    @Inject
    AlertSettings settings;

    @Inject
    RatelimitClient ratelimit;

    @Inject
    AuthClient auth;

    @Inject
    SecretsClient secrets;

    @Inject
    dev.sekisho.peers.SecurityEvents events;

    /** Records a new alert's actions, in its transaction; a target the alert does not carry is recorded as skipped. */
    public Uni<Void> record(java.util.UUID alertId, List<PlaybookAction> playbook, Map<String, String> labels) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (PlaybookAction action : playbook) {
            String target = labels.get(action.label());
            Long seconds = action.duration() == null ? null : action.duration().toSeconds();
            if (target == null || target.isEmpty()) {
                chain = chain.call(() -> actions.add(alertId, action.kind().name, "", seconds, action.dryRun(), "skipped",
                        "the alert has no " + action.label()));
            } else {
                chain = chain.call(() -> actions.add(alertId, action.kind().name, target, seconds, action.dryRun(), "pending", ""));
            }
        }
        return chain;
    }

    @Scheduled(every = "${sekisho.alert.notify-interval}", delayed = "${sekisho.alert.notify-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> run() {
        Instant now = Instant.now();
        return Panache.withTransaction(() -> actions.claim(now, CLAIM, 20)).flatMap(claimed -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (ActionStore.Action action : claimed) {
                chain = chain.call(() -> carryOut(action).onFailure().recoverWithUni(failure -> {
                    LOG.warnf("playbook action %d not carried out: %s", action.id(), failure.getClass().getSimpleName());
                    return Uni.createFrom().voidItem();
                }));
            }
            return chain;
        });
    }

    private Uni<Void> carryOut(ActionStore.Action action) {
        PlaybookAction.Kind kind = PlaybookAction.Kind.BY_NAME.get(action.action());
        String refusal = refusal(kind, action.target());
        if (refusal != null) {
            return settle(action, "refused", refusal, Outcome.OUTCOME_DENIED);
        }
        if (action.dryRun()) {
            return settle(action, "dry-run", "dry run: would " + describe(kind, action), Outcome.OUTCOME_SUCCESS);
        }
        // the cap, across instances: counted and reserved under a lock per kind of action
        return Panache.withTransaction(() -> Panache.getSession().flatMap(s -> s.createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
                .setParameter(1, "sekisho.alert.playbook." + action.action()).getSingleResult())
                .flatMap(locked -> actions.doneSince(action.action(), Instant.now().minus(Duration.ofMinutes(1))))
                .flatMap(done -> done >= settings.playbooks().maxPerMinute()
                        ? Uni.createFrom().item(false)
                        : actions.reserve(action.id(), Instant.now()).replaceWith(true)))
                .flatMap(reserved -> reserved ? execute(kind, action)
                        : settle(action, "capped", "not carried out: " + settings.playbooks().maxPerMinute() + " " + action.action()
                                + " actions in the last minute", Outcome.OUTCOME_DENIED));
    }

    private Uni<Void> execute(PlaybookAction.Kind kind, ActionStore.Action action) {
        return steps.traced("playbook action " + kind.name().toLowerCase(java.util.Locale.ROOT), () -> attempt(kind, action));
    }

    private Uni<Void> attempt(PlaybookAction.Kind kind, ActionStore.Action action) {
        return Panache.withSession(() -> alerts.find(action.alertId())).flatMap(alert -> {
            String reason = "alert-service playbook: " + (alert == null ? "alert" : alert.title) + " (alert " + action.alertId() + ")";
            Uni<?> call = switch (kind) {
                case BLOCK_IP -> ratelimit.block(IdentityType.IDENTITY_TYPE_IP, action.target(), Duration.ofSeconds(action.durationSeconds()), reason);
                case BLOCK_USER -> ratelimit.block(IdentityType.IDENTITY_TYPE_USER, action.target(), Duration.ofSeconds(action.durationSeconds()),
                        reason);
                case DISABLE_USER -> auth.disableUser(action.target(), reason);
                case REVOKE_API_KEY -> secrets.revokeApiKey(action.target(), reason);
            };
            return call.replaceWith("done").onFailure().recoverWithItem(failure -> {
                Status.Code code = failure instanceof StatusRuntimeException e ? e.getStatus().getCode() : Status.Code.UNAVAILABLE;
                return switch (code) {
                    case PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION -> "refused:" + code;
                    default -> "retry:" + (failure instanceof StatusRuntimeException ? code.name() : failure.getClass().getSimpleName());
                };
            });
        }).flatMap(result -> {
            if (result.equals("done")) {
                return settle(action, "done", describe(kind, action), Outcome.OUTCOME_SUCCESS);
            }
            if (result.startsWith("refused:")) {
                return settle(action, "refused", "the peer refused it (" + result.substring(8) + ")", Outcome.OUTCOME_DENIED);
            }
            int attempts = action.attempts() + 1;
            if (attempts >= settings.playbooks().maxAttempts()) {
                return settle(action, "failed", "the peer did not answer (" + result.substring(6) + ")", Outcome.OUTCOME_FAILURE);
            }
            Instant next = Instant.now().plus(Duration.ofSeconds(1L << Math.min(attempts, 6)));
            return Panache.withTransaction(() -> actions.settle(action.id(), "pending", attempts, next, "retrying: " + result.substring(6)))
                    .replaceWithVoid();
        });
    }

    /** Why a target may not be touched, or null. */
    String refusal(PlaybookAction.Kind kind, String target) {
        if (kind == PlaybookAction.Kind.BLOCK_IP) {
            if (!Cidr.isLiteralAddress(target)) {
                return "the target is not an IP address";
            }
            for (String network : settings.playbooks().protectedNetworks()) {
                if (Cidr.parse(network).contains(target)) {
                    return "the address is protected (sekisho.alert.playbooks.protected-networks)";
                }
            }
            return null;
        }
        if (kind == PlaybookAction.Kind.BLOCK_USER || kind == PlaybookAction.Kind.DISABLE_USER) {
            if (target.startsWith("service-account-") || target.startsWith("svc-")) {
                return "service accounts are never a playbook's target";
            }
            if (settings.playbooks().protectedUsers().map(list -> list.contains(target)).orElse(false)) {
                return "the user is protected (sekisho.alert.playbooks.protected-users)";
            }
        }
        return null;
    }

    private static String describe(PlaybookAction.Kind kind, ActionStore.Action action) {
        return switch (kind) {
            case BLOCK_IP, BLOCK_USER -> "block " + action.target() + " for " + Duration.ofSeconds(action.durationSeconds()).toString()
                    .substring(2).toLowerCase(java.util.Locale.ROOT);
            case DISABLE_USER -> "disable user " + action.target();
            case REVOKE_API_KEY -> "revoke API key " + action.target();
        };
    }

    private Uni<Void> settle(ActionStore.Action action, String status, String result, Outcome outcome) {
        Map<String, String> attributes = new TreeMap<>();
        attributes.put("action", action.action());
        attributes.put("target", action.target());
        attributes.put("dry_run", String.valueOf(action.dryRun()));
        attributes.put("alert", action.alertId().toString());
        attributes.put("status", status);
        return Panache.withTransaction(() -> actions.settle(action.id(), status, action.attempts() + (status.equals("refused")
                || status.equals("capped") || status.equals("dry-run") ? 0 : 1), null, result)
                .call(() -> alerts.history(action.alertId(), "playbook " + action.action(), "alert-service", status + ": " + result))
                .call(() -> events.audit("alert.playbook." + action.action(), AlertBook.SELF, "alert", action.alertId().toString(), outcome,
                        status.equals("done") || status.equals("dry-run") ? "" : result, attributes)))
                .replaceWithVoid();
    }
}
