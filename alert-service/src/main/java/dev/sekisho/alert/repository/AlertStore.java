package dev.sekisho.alert.repository;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Alerts in PostgreSQL, through the caller's session (writes inside its transaction). Firing is idempotent per firing
 * id and one alert is open per fingerprint, whichever instance fires: the partial unique index decides a race.
 */
@ApplicationScoped
public class AlertStore {

    static final ObjectMapper JSON = new ObjectMapper();

    /** What a firing did: the alert it opened or added to, whether it opened it, whether it was a replay (nothing done). */
    public record Fired(UUID alertId, boolean opened, boolean replay) {
    }

    /** A firing's evidence entry, as the API shows it. */
    public record EvidenceEntry(String signalId, String traceId, String auditEventId) {
    }

    /** One firing of an alert. */
    public record Firing(String firingId, Instant firedAt, List<EvidenceEntry> evidence) {
    }

    /** One line of an alert's history. */
    public record HistoryLine(Instant at, String action, String actor, String detail) {
    }

    /**
     * Opens the alert of the fingerprint or adds the firing to the open one. Past {@code maxFirings} firings of one
     * alert only its count and last time change (its history and evidence stay bounded).
     */
    public Uni<Fired> fire(AlertEntity candidate, String firingId, List<EvidenceEntry> evidence, int maxFirings) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                insert into alert (id, fingerprint, rule_id, rule_type, title, severity, labels, state, occurrences, first_fired_at,
                    last_fired_at) values (?1, ?2, ?3, ?4, ?5, ?6, cast(cast(?7 as text) as jsonb), 'firing', 1, ?8, ?8)
                on conflict (fingerprint) where state <> 'resolved' do nothing""")
                .setParameter(1, candidate.id).setParameter(2, candidate.fingerprint).setParameter(3, candidate.ruleId)
                .setParameter(4, candidate.ruleType).setParameter(5, candidate.title).setParameter(6, candidate.severity)
                .setParameter(7, json(candidate.labels)).setParameter(8, candidate.firstFiredAt)
                .executeUpdate()
                .flatMap(inserted -> session.createNativeQuery(
                        "select id, occurrences from alert where fingerprint = ?1 and state <> 'resolved' for update", Object[].class)
                        .setParameter(1, candidate.fingerprint).getSingleResult()
                        .flatMap(row -> {
                            UUID id = (UUID) row[0];
                            int occurrences = ((Number) row[1]).intValue();
                            boolean opened = inserted == 1 && id.equals(candidate.id);
                            if (!opened && occurrences >= maxFirings) {
                                return bump(session, id, candidate.lastFiredAt).map(n -> new Fired(id, false, false));
                            }
                            return session.createNativeQuery("""
                                    insert into alert_firing (firing_id, alert_id, fired_at, evidence) values (?1, ?2, ?3, cast(cast(?4 as text) as jsonb))
                                    on conflict do nothing""")
                                    .setParameter(1, firingId).setParameter(2, id).setParameter(3, candidate.lastFiredAt)
                                    .setParameter(4, json(evidence)).executeUpdate()
                                    .flatMap(firing -> {
                                        if (firing == 0) {
                                            return Uni.createFrom().item(new Fired(id, false, true));
                                        }
                                        Uni<Integer> counted = opened ? Uni.createFrom().item(1) : bump(session, id, candidate.lastFiredAt);
                                        return counted.flatMap(n -> history(id, opened ? "fired" : "fired again", "alert-service",
                                                "firing " + firingId)).map(n -> new Fired(id, opened, false));
                                    });
                        })));
    }

    private static Uni<Integer> bump(org.hibernate.reactive.mutiny.Mutiny.Session session, UUID id, Instant at) {
        return session.createNativeQuery(
                "update alert set occurrences = occurrences + 1, last_fired_at = greatest(last_fired_at, ?2) where id = ?1")
                .setParameter(1, id).setParameter(2, at).executeUpdate();
    }

    public Uni<Integer> history(UUID alertId, String action, String actor, String detail) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                "insert into alert_history (alert_id, at, action, actor, detail) values (?1, ?2, ?3, ?4, ?5)")
                .setParameter(1, alertId).setParameter(2, Instant.now()).setParameter(3, action).setParameter(4, actor)
                .setParameter(5, detail).executeUpdate());
    }

    public Uni<AlertEntity> find(UUID id) {
        return Panache.getSession().flatMap(session -> session.find(AlertEntity.class, id));
    }

    /** Alerts newest first, filtered; {@code before} is the last fired time of the previous page's last alert. */
    public Uni<List<AlertEntity>> list(String state, String severity, String ruleId, Instant since, Instant before, int limit) {
        StringBuilder where = new StringBuilder("where 1 = 1");
        if (state != null) {
            where.append(" and a.state = :state");
        }
        if (severity != null) {
            where.append(" and a.severity = :severity");
        }
        if (ruleId != null) {
            where.append(" and a.ruleId = :rule");
        }
        if (since != null) {
            where.append(" and a.lastFiredAt >= :since");
        }
        if (before != null) {
            where.append(" and a.lastFiredAt < :before");
        }
        return Panache.getSession().flatMap(session -> {
            var query = session.createSelectionQuery("from AlertEntity a " + where + " order by a.lastFiredAt desc, a.id", AlertEntity.class);
            if (state != null) {
                query.setParameter("state", state);
            }
            if (severity != null) {
                query.setParameter("severity", severity);
            }
            if (ruleId != null) {
                query.setParameter("rule", ruleId);
            }
            if (since != null) {
                query.setParameter("since", since);
            }
            if (before != null) {
                query.setParameter("before", before);
            }
            return query.setMaxResults(limit).getResultList();
        });
    }

    public Uni<List<Firing>> firings(UUID alertId, int max) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                "select firing_id, fired_at, cast(evidence as text) from alert_firing where alert_id = ?1 order by fired_at desc limit ?2",
                Object[].class).setParameter(1, alertId).setParameter(2, max).getResultList())
                .map(rows -> rows.stream().map(row -> new Firing((String) row[0], instant(row[1]), evidence((String) row[2]))).toList());
    }

    public Uni<List<HistoryLine>> historyOf(UUID alertId, int max) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                "select at, action, actor, detail from alert_history where alert_id = ?1 order by id limit ?2", Object[].class)
                .setParameter(1, alertId).setParameter(2, max).getResultList())
                .map(rows -> rows.stream().map(row -> new HistoryLine(instant(row[0]), (String) row[1], (String) row[2], (String) row[3])).toList());
    }

    /** Moves an alert from one of {@code from} to {@code to}; false when it was in none of them (nothing changed). */
    public Uni<Boolean> transition(UUID id, List<String> from, String to, String actor, Instant at) {
        String set = switch (to) {
            case "acknowledged" -> "acknowledged_at = ?3, acknowledged_by = ?4";
            case "resolved" -> "resolved_at = ?3, resolved_by = ?4";
            default -> throw new IllegalArgumentException(to);
        };
        return Panache.getSession().flatMap(session -> session.createNativeQuery(
                "update alert set state = ?2, " + set + " where id = ?1 and state in (?5)")
                .setParameter(1, id).setParameter(2, to).setParameter(3, at).setParameter(4, actor).setParameter(5, from)
                .executeUpdate().map(n -> n == 1));
    }

    private static Instant instant(Object value) {
        return NotificationStore.instant(value);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<EvidenceEntry> evidence(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<EvidenceEntry>>() {
            });
        } catch (JsonProcessingException e) {
            return List.of();
        }
    }

    public static Map<String, String> labels(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, String>>() {
            });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
