package dev.sekisho.alert.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.detection.PlaybookAction;
import dev.sekisho.alert.repository.AlertEntity;
import dev.sekisho.alert.repository.AlertStore;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.persistence.FreshSession;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Alerts: opened or added to when a detection fires (one open alert per fingerprint: the rule and its group's labels),
 * listed, acknowledged and resolved by people. Opening, acknowledging and resolving are audited (in the same
 * transaction, through the outbox) and kept in the alert's history.
 */
@ApplicationScoped
public class AlertBook {

    static final Who SELF = Who.client("alert-service", "", "");

    @Inject
    AlertStore store;

    @Inject
    SecurityEvents events;

    @Inject
    AlertSettings settings;

    @Inject
    Notifier notifier;

    @Inject
    Dispatch dispatch;

    @Inject
    Playbooks playbooks;

    @Inject
    io.vertx.core.Vertx vertx;

    @Inject
    dev.sekisho.alert.repository.ActionStore actionStore;

    /** A detection that fired: what the alert is, and the firing's own id and evidence. */
    public record Candidate(String ruleId, String ruleType, String title, String severity, Map<String, String> labels, String firingId,
            List<AlertStore.EvidenceEntry> evidence, Instant firedAt, List<PlaybookAction> playbook) {

        public String fingerprint() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(ruleId.getBytes(StandardCharsets.UTF_8));
                for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
                    sha.update((byte) 0);
                    sha.update(label.getKey().getBytes(StandardCharsets.UTF_8));
                    sha.update((byte) '=');
                    sha.update(label.getValue().getBytes(StandardCharsets.UTF_8));
                }
                return HexFormat.of().formatHex(sha.digest(), 0, 16);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** An alert with its recent firings and history (the API's detail view). */
    public record Detail(AlertEntity alert, List<AlertStore.Firing> firings, List<AlertStore.HistoryLine> history,
            List<dev.sekisho.alert.repository.ActionStore.ActionView> actions) {
    }

    /** Stores the firings in one transaction; the ids of the alerts they opened or added to. */
    public Uni<List<UUID>> fire(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        // a context of its own: the signals of one stream are evaluated side by side on the stream's context
        return FreshSession.run(vertx, () -> Panache.withTransaction(() -> {
            Uni<List<UUID>> chain = Uni.createFrom().item(new ArrayList<>());
            for (Candidate candidate : candidates) {
                chain = chain.flatMap(ids -> fireOne(candidate).map(id -> {
                    ids.add(id);
                    return ids;
                }));
            }
            return chain;
        })).invoke(ids -> {
            if (!ids.isEmpty()) {
                dispatch.kick();
            }
        });
    }

    private Uni<UUID> fireOne(Candidate c) {
        AlertEntity alert = new AlertEntity();
        alert.id = UUID.randomUUID();
        alert.fingerprint = c.fingerprint();
        alert.ruleId = c.ruleId();
        alert.ruleType = c.ruleType();
        alert.title = c.title();
        alert.severity = c.severity();
        alert.labels = c.labels();
        alert.firstFiredAt = c.firedAt();
        alert.lastFiredAt = c.firedAt();
        alert.state = "firing";
        return store.fire(alert, c.firingId(), c.evidence(), settings.maxFiringsPerAlert()).flatMap(fired -> {
            if (fired.replay()) {
                return Uni.createFrom().item(fired.alertId());
            }
            alert.id = fired.alertId();
            Uni<Void> routed = notifier.changed(alert, fired.opened());
            if (fired.opened() && !c.playbook().isEmpty()) {
                routed = routed.call(() -> playbooks.record(fired.alertId(), c.playbook(), c.labels()));
            }
            return (fired.opened() ? routed.call(() -> events.audit("alert.fired", SELF, "alert", fired.alertId().toString(),
                    Outcome.OUTCOME_SUCCESS, "", attributes(c))) : routed).replaceWith(fired.alertId());
        });
    }

    private static Map<String, String> attributes(Candidate c) {
        Map<String, String> attributes = new TreeMap<>();
        attributes.put("rule", c.ruleId());
        attributes.put("severity", c.severity());
        attributes.put("signals", String.join(",", c.evidence().stream().limit(10).map(AlertStore.EvidenceEntry::signalId).toList()));
        return attributes;
    }

    public Uni<List<AlertEntity>> list(String state, String severity, String ruleId, Instant since, Instant before, int limit) {
        return Panache.withSession(() -> store.list(state, severity, ruleId, since, before, limit));
    }

    public Uni<Detail> get(UUID id) {
        return Panache.withSession(() -> store.find(id).flatMap(alert -> {
            if (alert == null) {
                throw ProblemException.notFound("There is no such alert.");
            }
            return store.firings(id, 20).flatMap(firings -> store.historyOf(id, 200).flatMap(history -> actionStore.of(id)
                    .map(actions -> new Detail(alert, firings, history, actions))));
        }));
    }

    /** Acknowledged by a person: stays open (a re-firing adds to it) but escalation stops. */
    public Uni<AlertEntity> acknowledge(UUID id, Who who, String note) {
        return change(id, List.of("firing"), "acknowledged", "alert.acknowledged", who, note);
    }

    public Uni<AlertEntity> resolve(UUID id, Who who, String note) {
        return change(id, List.of("firing", "acknowledged"), "resolved", "alert.resolved", who, note);
    }

    private Uni<AlertEntity> change(UUID id, List<String> from, String to, String action, Who who, String note) {
        return Panache.withTransaction(() -> store.find(id).flatMap(alert -> {
            if (alert == null) {
                throw ProblemException.notFound("There is no such alert.");
            }
            String was = alert.state;
            Instant now = Instant.now();
            // the state decides in the database: of two concurrent acknowledgements one changes the alert, the other is told
            return store.transition(id, from, to, who.id(), now).flatMap(changed -> {
                if (!changed) {
                    throw new ProblemException(ProblemType.CONFLICT, "The alert is " + was + ": it cannot become " + to + ".");
                }
                alert.state = to;
                if (to.equals("acknowledged")) {
                    alert.acknowledgedAt = now;
                    alert.acknowledgedBy = who.id();
                } else {
                    alert.resolvedAt = now;
                    alert.resolvedBy = who.id();
                }
                return store.history(id, to, who.id(), note)
                        .call(() -> notifier.changed(alert, false))
                        .call(() -> events.audit(action, who, "alert", id.toString(), Outcome.OUTCOME_SUCCESS, "",
                                Map.of("rule", alert.ruleId, "from", was)))
                        .replaceWith(alert);
            });
        })).invoke(dispatch::kick);
    }
}
