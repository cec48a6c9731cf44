package dev.sekisho.alert.repository;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/** Playbook actions in PostgreSQL: recorded in the alert's transaction, claimed for a while by one instance, settled. */
@ApplicationScoped
public class ActionStore {

    public record Action(long id, UUID alertId, String action, String target, Long durationSeconds, boolean dryRun, int attempts) {
    }

    public record ActionView(String action, String target, Long durationSeconds, boolean dryRun, String status, int attempts,
            Instant createdAt, Instant doneAt, String result) {
    }

    public Uni<Integer> add(UUID alertId, String action, String target, Long durationSeconds, boolean dryRun, String status, String result) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                insert into alert_action (alert_id, action, target, duration_seconds, dry_run, status, result)
                values (?1, ?2, ?3, ?4, ?5, ?6, ?7)""")
                .setParameter(1, alertId).setParameter(2, action).setParameter(3, target).setParameter(4, durationSeconds)
                .setParameter(5, dryRun).setParameter(6, status).setParameter(7, result).executeUpdate());
    }

    public Uni<List<Action>> claim(Instant now, Duration hold, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                update alert_action set claimed_until = ?2 where id in (
                    select id from alert_action where status = 'pending' and next_attempt_at <= ?1
                    and (claimed_until is null or claimed_until < ?1) order by id limit ?3 for update skip locked)
                returning id, alert_id, action, target, duration_seconds, dry_run, attempts""", Object[].class)
                .setParameter(1, now).setParameter(2, now.plus(hold)).setParameter(3, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new Action(((Number) r[0]).longValue(), (UUID) r[1], (String) r[2], (String) r[3],
                        r[4] == null ? null : ((Number) r[4]).longValue(), (Boolean) r[5], ((Number) r[6]).intValue())).toList());
    }

    /** Actions of a kind carried out (or reserved, being carried out) since {@code since}, by every instance: what the cap counts. */
    public Uni<Long> doneSince(String action, Instant since) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                "select count(*) from alert_action where action = ?1 and status in ('done', 'pending') and done_at >= ?2", Long.class)
                .setParameter(1, action).setParameter(2, since).getSingleResult());
    }

    /** Reserves a place under the cap for an action about to be carried out (it stays pending: a crash leaves it to a retry). */
    public Uni<Integer> reserve(long id, Instant at) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("update alert_action set done_at = ?2 where id = ?1")
                .setParameter(1, id).setParameter(2, at).executeUpdate());
    }

    public Uni<Integer> settle(long id, String status, int attempts, Instant next, String result) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                update alert_action set status = ?2, attempts = ?3, next_attempt_at = coalesce(?4, next_attempt_at), result = ?5,
                    done_at = cast(?6 as timestamptz), claimed_until = null where id = ?1""")
                .setParameter(1, id).setParameter(2, status).setParameter(3, attempts).setParameter(4, next).setParameter(5, result)
                .setParameter(6, status.equals("pending") ? null : Instant.now()).executeUpdate());
    }

    public Uni<List<ActionView>> of(UUID alertId) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select action, target, duration_seconds, dry_run, status, attempts, created_at, done_at, result
                from alert_action where alert_id = ?1 order by id""", Object[].class).setParameter(1, alertId).getResultList())
                .map(rows -> rows.stream().map(r -> new ActionView((String) r[0], (String) r[1], r[2] == null ? null : ((Number) r[2]).longValue(),
                        (Boolean) r[3], (String) r[4], ((Number) r[5]).intValue(), NotificationStore.instant(r[6]),
                        NotificationStore.instant(r[7]), (String) r[8])).toList());
    }
}
