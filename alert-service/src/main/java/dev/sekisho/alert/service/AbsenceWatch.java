package dev.sekisho.alert.service;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.detection.Correlation;
import dev.sekisho.alert.repository.CorrelationState;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * x-absence correlations: every {@code sekisho.alert.absence-interval}, the groups that matched before and have been
 * silent for the correlation's timespan fire. Each silent group is claimed in Redis by one instance only; a group whose
 * alert cannot be stored is put back, to fire on the next pass.
 */
@ApplicationScoped
public class AbsenceWatch {

    private static final Logger LOG = Logger.getLogger(AbsenceWatch.class);

    @Inject
    Detections detections;

    @Inject
    CorrelationState state;

    @Inject
    AlertBook alerts;

    @Scheduled(every = "${sekisho.alert.absence-interval}", delayed = "${sekisho.alert.absence-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> sweep() {
        Uni<Void> all = Uni.createFrom().voidItem();
        Instant now = Instant.now();
        for (Correlation absence : detections.current().absences()) {
            all = all.call(() -> state.claimSilent(absence, now.minus(absence.timespan()), 100)
                    .flatMap(silent -> fire(absence, silent, now))
                    .onFailure().recoverWithItem(failure -> {
                        LOG.warnf("x-absence %s not checked: %s", absence.id(), failure.getClass().getSimpleName());
                        return null;
                    }));
        }
        return all;
    }

    private Uni<Void> fire(Correlation absence, List<CorrelationState.Silent> silent, Instant now) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (CorrelationState.Silent group : silent) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("rule", absence.reference());
            labels.putAll(group.group());
            String firing = "absence:" + absence.id() + ":" + CorrelationState.groupHash(group.group()) + ":" + now.toEpochMilli();
            AlertBook.Candidate candidate = new AlertBook.Candidate(absence.id(), absence.type().sigma, absence.title(), absence.severity(),
                    labels, firing, List.of(), now, absence.playbook());
            all = all.call(() -> alerts.fire(List.of(candidate)).replaceWithVoid()
                    .onFailure().call(() -> state.unclaim(absence, group)));
        }
        return all;
    }
}
