package dev.sekisho.secrets.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.repository.ApiKeyEntity;
import dev.sekisho.secrets.repository.ApiKeyStore;
import dev.sekisho.secrets.repository.SecretEntity;
import dev.sekisho.secrets.repository.SecretStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Credentials nobody uses and credentials past due: secrets not read and API keys not used for N days, secrets past
 * (or close to) their rotation period or expiry, keys close to or past expiry; with their owners. The same findings
 * go to alert-service as signals on a schedule ({@code secret.stale}, {@code secret.rotation_due},
 * {@code secret.expiring}, {@code apikey.unused}, {@code apikey.expiring}).
 */
@ApplicationScoped
public class StaleReport {

    public record SecretFinding(String path, String owner, List<String> findings, Instant lastReadAt, Instant rotationDueAt,
            Instant expiresAt) {
    }

    public record KeyFinding(String id, String name, String owner, List<String> findings, Instant lastUsedAt, Instant expiresAt) {
    }

    public record Report(Instant generatedAt, int unusedDays, int dueWithinDays, List<SecretFinding> secrets, List<KeyFinding> apiKeys) {
    }

    static final int MAX_ITEMS = 1000;
    private static final Logger LOG = Logger.getLogger(StaleReport.class);

    @Inject
    SecretStore secrets;

    @Inject
    ApiKeyStore keys;

    @Inject
    UsageTracker usage;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    public Uni<Report> report(Who who, int unusedDays, int dueWithinDays) {
        if (unusedDays < 1 || unusedDays > 3650 || dueWithinDays < 0 || dueWithinDays > 365) {
            return Uni.createFrom().failure(ProblemException.badRequest("unusedDays must be 1 to 3650 and dueWithinDays 0 to 365"));
        }
        return build(unusedDays, dueWithinDays).call(report -> events.audit("secret.report.stale", who, "report", "stale",
                Outcome.OUTCOME_SUCCESS, "", Map.of("secrets", String.valueOf(report.secrets().size()),
                        "api_keys", String.valueOf(report.apiKeys().size()))));
    }

    @Scheduled(every = "${sekisho.secrets.stale-report.interval}", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> signalFindings() {
        return build(settings.staleReport().unusedDays(), settings.staleReport().dueWithinDays()).chain(this::signal)
                .onFailure().invoke(e -> LOG.warnf("stale report not sent: %s", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    Uni<Void> signal(Report report) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        int budget = settings.staleReport().maxSignals();
        int sent = 0;
        for (SecretFinding finding : report.secrets()) {
            for (String kind : finding.findings()) {
                if (sent++ >= budget) {
                    return chain;
                }
                Map<String, String> labels = new HashMap<>();
                labels.put("path", finding.path());
                labels.put("owner", finding.owner() == null ? "" : finding.owner());
                chain = chain.chain(() -> events.signal("secret." + kind, kind.equals("expired") ? Severity.SEVERITY_WARNING : Severity.SEVERITY_INFO,
                        "A secret is " + kind.replace('_', ' '), labels));
            }
        }
        for (KeyFinding finding : report.apiKeys()) {
            for (String kind : finding.findings()) {
                if (sent++ >= budget) {
                    return chain;
                }
                chain = chain.chain(() -> events.signal("apikey." + kind, Severity.SEVERITY_INFO, "An API key is " + kind.replace('_', ' '),
                        Map.of("key_id", finding.id(), "owner", finding.owner())));
            }
        }
        return chain;
    }

    Uni<Report> build(int unusedDays, int dueWithinDays) {
        Instant now = Instant.now();
        Instant unusedSince = now.minus(Duration.ofDays(unusedDays));
        Instant dueBy = now.plus(Duration.ofDays(dueWithinDays));
        return usage.flush().chain(() -> Panache.withSession(() -> secrets.forReport(MAX_ITEMS).chain(rows -> {
            List<String> paths = rows.stream().map(s -> s.path).toList();
            Uni<List<Object[]>> times = paths.isEmpty() ? Uni.createFrom().item(List.of()) : secrets.currentVersionTimes(paths);
            return times.chain(written -> {
                Map<String, Instant> current = new HashMap<>();
                written.forEach(row -> current.put((String) row[0], (Instant) row[1]));
                List<SecretFinding> secretFindings = new ArrayList<>();
                for (SecretEntity s : rows) {
                    List<String> findings = new ArrayList<>();
                    Instant lastActivity = s.lastReadAt != null ? s.lastReadAt : s.createdAt;
                    if (lastActivity.isBefore(unusedSince)) {
                        findings.add("stale");
                    }
                    Instant rotationDue = s.rotationPeriodSeconds == null || current.get(s.path) == null ? null
                            : current.get(s.path).plusSeconds(s.rotationPeriodSeconds);
                    if (rotationDue != null && rotationDue.isBefore(dueBy)) {
                        findings.add("rotation_due");
                    }
                    if (s.expiresAt != null && !now.isBefore(s.expiresAt)) {
                        findings.add("expired");
                    } else if (s.expiresAt != null && s.expiresAt.isBefore(dueBy)) {
                        findings.add("expiring");
                    }
                    if (!findings.isEmpty()) {
                        secretFindings.add(new SecretFinding(s.path, s.owner, findings, s.lastReadAt, rotationDue, s.expiresAt));
                    }
                }
                return keys.forReport(MAX_ITEMS).map(keyRows -> {
                    List<KeyFinding> keyFindings = new ArrayList<>();
                    for (ApiKeyEntity k : keyRows) {
                        List<String> findings = new ArrayList<>();
                        Instant lastUse = k.lastUsedAt != null ? k.lastUsedAt : k.createdAt;
                        if (lastUse.isBefore(unusedSince)) {
                            findings.add("unused");
                        }
                        if (k.expiresAt != null && !now.isBefore(k.expiresAt)) {
                            findings.add("expired");
                        } else if (k.expiresAt != null && k.expiresAt.isBefore(dueBy)) {
                            findings.add("expiring");
                        }
                        if (!findings.isEmpty()) {
                            keyFindings.add(new KeyFinding(k.id, k.name, k.owner, findings, k.lastUsedAt, k.expiresAt));
                        }
                    }
                    return new Report(now, unusedDays, dueWithinDays, List.copyOf(secretFindings), List.copyOf(keyFindings));
                });
            });
        })));
    }
}
