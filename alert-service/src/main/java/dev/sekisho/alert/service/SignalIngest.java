package dev.sekisho.alert.service;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.detection.Correlation;
import dev.sekisho.alert.detection.Rule;
import dev.sekisho.alert.detection.RuleSet;
import dev.sekisho.alert.detection.Signal;
import dev.sekisho.alert.repository.AlertStore.EvidenceEntry;
import dev.sekisho.alert.repository.CorrelationState;
import dev.sekisho.alert.repository.CorrelationState.Evidence;
import dev.sekisho.alert.repository.CorrelationState.Fired;
import dev.sekisho.alert.repository.CorrelationState.Op;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.security.CallerPermissions;
import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.common.problem.ProblemType;
import io.smallrye.mutiny.Uni;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * A signal's way through detection: the rules it matches (in memory), the correlations those feed (one Redis script
 * call, shared by every instance), the correlations the firings feed in turn, then the alerts (one PostgreSQL
 * transaction). A signal is acknowledged only once its alerts are stored; until then a replay re-applies the same
 * idempotent updates and the same firing ids, so a retry after a failure neither loses nor doubles an alert.
 */
@ApplicationScoped
public class SignalIngest {

    static final int MAX_CHAIN = 4;

    @Inject
    Detections detections;

    @Inject
    CorrelationState state;

    @Inject
    AlertBook alerts;

    @Inject
    SignalValidator validator;

    @Inject
    CallerPermissions callers;

    /** What the producer hears: a duplicate, or the alerts the signal opened or added to. */
    public record Ack(String signalId, boolean duplicate, List<UUID> alertIds) {
    }

    /** The emitting service: the caller's identity, which must be a service (or a tool's machine client) with alert:signal. */
    public Uni<String> emitter() {
        return callers.require(Permissions.ALERT_SIGNAL).map(SignalIngest::serviceOf);
    }

    private static String serviceOf(VerifiedToken token) {
        String service = token.serviceName();
        if (service == null) {
            throw new ProblemException(ProblemType.FORBIDDEN, "Signals are sent by service identities only.");
        }
        return service;
    }

    public Uni<Ack> ingest(SignalValidator.Raw raw, String emitter) {
        return Uni.createFrom().deferred(() -> ingest(validator.validate(raw, emitter)));
    }

    @WithSpan("alert rule evaluation")
    public Uni<Ack> ingest(Signal signal) {
        RuleSet rules = detections.current();
        List<Rule> matched = rules.matching(signal);
        if (matched.isEmpty()) {
            return Uni.createFrom().item(new Ack(signal.id(), false, List.of()));
        }
        List<AlertBook.Candidate> candidates = new ArrayList<>();
        EvidenceEntry own = new EvidenceEntry(signal.id(), signal.traceId(), signal.auditEventId());
        for (Rule rule : matched) {
            if (rule.generate()) {
                candidates.add(new AlertBook.Candidate(rule.id(), "rule", rule.title(), rule.severity(), labels(rule.reference(),
                        rule.fields(), signal), signal.id() + ":" + rule.id(), List.of(own), signal.occurredAt(), rule.playbook()));
            }
        }
        List<Op> ops = ops(rules, matched.stream().map(Rule::reference).toList(), signal);
        if (ops.isEmpty()) {
            return alerts.fire(candidates).map(ids -> new Ack(signal.id(), false, ids));
        }
        List<String> seen = new ArrayList<>();
        return correlate(rules, signal, signal.id(), ops, List.of(), candidates, seen, 0)
                .flatMap(duplicate -> {
                    if (duplicate) {
                        return Uni.createFrom().item(new Ack(signal.id(), true, List.of()));
                    }
                    return alerts.fire(candidates).call(() -> markSeen(seen)).map(ids -> new Ack(signal.id(), false, ids));
                });
    }

    /**
     * Applies the ops; each firing becomes a candidate (when its correlation generates alerts) and feeds the correlations
     * that use it, as a match carrying the evidence so far. True when the signal was a duplicate.
     */
    private Uni<Boolean> correlate(RuleSet rules, Signal signal, String stateId, List<Op> ops, List<EvidenceEntry> inherited,
            List<AlertBook.Candidate> candidates, List<String> seen, int depth) {
        // the first call marks a signal that fires nothing seen itself, when no rule of its own made an alert to store
        boolean markIfQuiet = depth == 0 && candidates.isEmpty();
        return state.apply(signal, stateId, ops, markIfQuiet).flatMap(outcome -> {
            if (outcome.duplicate()) {
                return Uni.createFrom().item(depth == 0);
            }
            if (!outcome.marked()) {
                seen.add(stateId);
            }
            Uni<Boolean> next = Uni.createFrom().item(false);
            for (Fired fired : outcome.fired()) {
                Correlation c = fired.op().correlation();
                List<EvidenceEntry> evidence = merge(fired.evidence(), inherited);
                Map<String, String> labels = new LinkedHashMap<>();
                labels.put("rule", c.reference());
                labels.putAll(fired.op().group());
                if (c.generate()) {
                    candidates.add(new AlertBook.Candidate(c.id(), c.type().sigma, c.title(), c.severity(), labels,
                            stateId + ":" + c.id(), evidence, signal.occurredAt(), c.playbook()));
                }
                List<Op> chained = ops(rules, List.of(c.reference()), signal);
                if (!chained.isEmpty() && depth + 1 < MAX_CHAIN) {
                    String derived = derived(stateId, c);
                    next = next.flatMap(ignored -> correlate(rules, signal, derived, chained, evidence, candidates, seen, depth + 1))
                            .replaceWith(false);
                }
            }
            return next;
        });
    }

    /** A correlation's firing, as a match for the correlations that use it, has an id of its own (the same on a replay). */
    private static String derived(String stateId, Correlation fired) {
        return UUID.nameUUIDFromBytes((stateId + "/" + fired.id()).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    /** The correlations that the references feed, each for the signal's group (temporal: with the steps they are). */
    private static List<Op> ops(RuleSet rules, List<String> references, Signal signal) {
        Map<String, Op> ops = new LinkedHashMap<>();
        for (String reference : references) {
            for (Correlation c : rules.fedBy(reference)) {
                List<Integer> steps = new ArrayList<>();
                for (int i = 0; i < c.rules().size(); i++) {
                    if (references.contains(c.rules().get(i))) {
                        steps.add(i);
                    }
                }
                ops.computeIfAbsent(c.id(), id -> new Op(c, group(c.groupBy(), signal), steps));
            }
        }
        return List.copyOf(ops.values());
    }

    private static Map<String, String> group(List<String> fields, Signal signal) {
        Map<String, String> group = new LinkedHashMap<>();
        for (String field : fields) {
            String value = signal.field(field);
            group.put(field, value == null ? "" : value);
        }
        return group;
    }

    private static Map<String, String> labels(String rule, List<String> fields, Signal signal) {
        Map<String, String> labels = new HashMap<>();
        labels.put("rule", rule);
        labels.putAll(group(fields, signal));
        return labels;
    }

    private static List<EvidenceEntry> merge(List<Evidence> fired, List<EvidenceEntry> inherited) {
        LinkedHashSet<EvidenceEntry> all = new LinkedHashSet<>();
        fired.forEach(e -> all.add(new EvidenceEntry(e.signalId(), e.traceId(), e.auditEventId())));
        all.addAll(inherited);
        return all.stream().limit(20).toList();
    }

    private Uni<Void> markSeen(List<String> ids) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (String id : ids) {
            all = all.call(() -> state.seen(id));
        }
        return all;
    }
}
