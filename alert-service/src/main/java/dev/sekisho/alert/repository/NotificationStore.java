package dev.sekisho.alert.repository;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Alert groups, notifications and their delivery log, disabled receivers, silences and escalations in PostgreSQL,
 * through the caller's session. Work is claimed with {@code FOR UPDATE SKIP LOCKED} (groups, escalations) or a claim
 * deadline (notifications, whose delivery happens outside a transaction), so several instances share it and none
 * does an item twice.
 */
@ApplicationScoped
public class NotificationStore {

    public record Group(String id, String routeId, String receiver, String groupLabels, Instant lastSentAt, String lastSentHash) {
    }

    public record Member(UUID alertId, String fingerprint, String state, String ruleId, String title, String severity, String labels,
            Instant firstFiredAt, Instant lastFiredAt, int occurrences, String notifiedState, Instant resolvedAt) {
    }

    public record Pending(long id, UUID webhookId, String receiver, String kind, String payload, int attempts, Instant createdAt) {
    }

    public record Delivery(long id, UUID webhookId, String receiver, String kind, String status, int attempts, Instant createdAt,
            Instant deliveredAt, Integer lastStatus, String lastError) {
    }

    public record SilenceRow(UUID id, String matchers, Instant startsAt, Instant endsAt, String createdBy, String comment) {
    }

    public record DueEscalation(UUID alertId, String policy, int step, int round, String state) {
    }

    public Uni<Integer> upsertGroup(String id, String routeId, String receiver, String groupLabels, Instant firstFlush, Instant now,
            Duration groupInterval) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                insert into alert_group (id, route_id, receiver, group_labels, next_flush_at)
                values (?1, ?2, ?3, cast(cast(?4 as text) as jsonb), ?5)
                on conflict (id) do update set next_flush_at = coalesce(alert_group.next_flush_at,
                    greatest(?6, alert_group.last_flush_at + make_interval(secs => ?7)))""")
                .setParameter(1, id).setParameter(2, routeId).setParameter(3, receiver).setParameter(4, groupLabels)
                .setParameter(5, firstFlush).setParameter(6, now).setParameter(7, (double) groupInterval.toMillis() / 1000)
                .executeUpdate());
    }

    public Uni<Integer> addMember(String groupId, UUID alertId) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                "insert into alert_group_member (group_id, alert_id) values (?1, ?2) on conflict do nothing")
                .setParameter(1, groupId).setParameter(2, alertId).executeUpdate());
    }

    public Uni<List<Group>> dueGroups(Instant now, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select id, route_id, receiver, cast(group_labels as text), last_sent_at, last_sent_hash from alert_group
                where next_flush_at <= ?1 order by next_flush_at limit ?2 for update skip locked""", Object[].class)
                .setParameter(1, now).setParameter(2, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new Group((String) r[0], (String) r[1], (String) r[2], (String) r[3], instant(r[4]),
                        (String) r[5])).toList());
    }

    public Uni<List<Member>> members(String groupId) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select a.id, a.fingerprint, a.state, a.rule_id, a.title, a.severity, cast(a.labels as text), a.first_fired_at,
                    a.last_fired_at, a.occurrences, m.notified_state, a.resolved_at
                from alert_group_member m join alert a on a.id = m.alert_id where m.group_id = ?1
                order by a.first_fired_at, a.id limit 1000""", Object[].class)
                .setParameter(1, groupId).getResultList())
                .map(rows -> rows.stream().map(r -> new Member((UUID) r[0], (String) r[1], (String) r[2], (String) r[3], (String) r[4],
                        (String) r[5], (String) r[6], instant(r[7]), instant(r[8]), ((Number) r[9]).intValue(), (String) r[10],
                        instant(r[11]))).toList());
    }

    public Uni<Integer> notified(String groupId, UUID alertId, String state) {
        return Panache.getSession().flatMap(s -> (state.equals("resolved")
                ? s.createNativeQuery("delete from alert_group_member where group_id = ?1 and alert_id = ?2")
                        .setParameter(1, groupId).setParameter(2, alertId)
                : s.createNativeQuery("update alert_group_member set notified_state = ?3 where group_id = ?1 and alert_id = ?2")
                        .setParameter(1, groupId).setParameter(2, alertId).setParameter(3, state)).executeUpdate());
    }

    public Uni<Integer> forgetResolved(String groupId, UUID alertId) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("delete from alert_group_member where group_id = ?1 and alert_id = ?2")
                .setParameter(1, groupId).setParameter(2, alertId).executeUpdate());
    }

    public Uni<Integer> flushed(String groupId, Instant now, Instant next, Instant sentAt, String hash) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                update alert_group set last_flush_at = ?2, next_flush_at = ?3, last_sent_at = coalesce(?4, last_sent_at),
                    last_sent_hash = coalesce(?5, last_sent_hash) where id = ?1""")
                .setParameter(1, groupId).setParameter(2, now).setParameter(3, next).setParameter(4, sentAt).setParameter(5, hash)
                .executeUpdate());
    }

    public Uni<Integer> enqueue(UUID webhookId, String receiver, String kind, String payload) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                insert into notification (webhook_id, receiver, kind, payload) values (?1, ?2, ?3, cast(cast(?4 as text) as jsonb))""")
                .setParameter(1, webhookId).setParameter(2, receiver).setParameter(3, kind).setParameter(4, payload).executeUpdate());
    }

    /** Claims due notifications for {@code hold} (an instance that stops while holding them leaves them to the next). */
    public Uni<List<Pending>> claim(Instant now, Duration hold, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                update notification set claimed_until = ?2 where id in (
                    select id from notification where status = 'pending' and next_attempt_at <= ?1
                    and (claimed_until is null or claimed_until < ?1) order by id limit ?3 for update skip locked)
                returning id, webhook_id, receiver, kind, cast(payload as text), attempts, created_at""", Object[].class)
                .setParameter(1, now).setParameter(2, now.plus(hold)).setParameter(3, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new Pending(((Number) r[0]).longValue(), (UUID) r[1], (String) r[2], (String) r[3],
                        (String) r[4], ((Number) r[5]).intValue(), instant(r[6]))).toList());
    }

    public Uni<Integer> outcome(long id, String status, int attempts, Instant nextAttempt, Integer httpStatus, String error, Instant deliveredAt) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                update notification set status = ?2, attempts = ?3, next_attempt_at = coalesce(?4, next_attempt_at), last_status = ?5,
                    last_error = ?6, delivered_at = ?7, claimed_until = null where id = ?1""")
                .setParameter(1, id).setParameter(2, status).setParameter(3, attempts).setParameter(4, nextAttempt)
                .setParameter(5, httpStatus).setParameter(6, error).setParameter(7, deliveredAt).executeUpdate());
    }

    public Uni<List<Delivery>> deliveries(String receiver, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select id, webhook_id, receiver, kind, status, attempts, created_at, delivered_at, last_status, last_error
                from notification where (?1 = '' or receiver = ?1) order by id desc limit ?2""", Object[].class)
                .setParameter(1, receiver == null ? "" : receiver).setParameter(2, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new Delivery(((Number) r[0]).longValue(), (UUID) r[1], (String) r[2], (String) r[3],
                        (String) r[4], ((Number) r[5]).intValue(), instant(r[6]), instant(r[7]), r[8] == null ? null : ((Number) r[8]).intValue(),
                        (String) r[9])).toList());
    }

    public Uni<Boolean> receiverDisabled(String name) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("select count(*) from receiver_state where name = ?1", Long.class)
                .setParameter(1, name).getSingleResult()).map(n -> n > 0);
    }

    public Uni<Integer> disableReceiver(String name, String reason) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                "insert into receiver_state (name, disabled_at, reason) values (?1, ?2, ?3) on conflict do nothing")
                .setParameter(1, name).setParameter(2, Instant.now()).setParameter(3, reason).executeUpdate());
    }

    public Uni<Integer> enableReceiver(String name) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("delete from receiver_state where name = ?1")
                .setParameter(1, name).executeUpdate());
    }

    public Uni<List<String>> disabledReceivers() {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("select name from receiver_state order by name", String.class)
                .getResultList());
    }

    public Uni<Integer> addSilence(UUID id, String matchers, Instant startsAt, Instant endsAt, String by, String comment) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                insert into silence (id, matchers, starts_at, ends_at, created_by, comment)
                values (?1, cast(cast(?2 as text) as jsonb), ?3, ?4, ?5, ?6)""")
                .setParameter(1, id).setParameter(2, matchers).setParameter(3, startsAt).setParameter(4, endsAt).setParameter(5, by)
                .setParameter(6, comment).executeUpdate());
    }

    public Uni<List<SilenceRow>> silences(Instant activeAt, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select id, cast(matchers as text), starts_at, ends_at, created_by, comment from silence
                where (cast(?1 as timestamptz) is null or (starts_at <= ?1 and ends_at > ?1)) order by ends_at desc limit ?2""", Object[].class)
                .setParameter(1, activeAt).setParameter(2, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new SilenceRow((UUID) r[0], (String) r[1], instant(r[2]), instant(r[3]), (String) r[4],
                        (String) r[5])).toList());
    }

    public Uni<Integer> expireSilence(UUID id, Instant now, String by) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                "update silence set ends_at = ?2, expired_by = ?3 where id = ?1 and ends_at > ?2")
                .setParameter(1, id).setParameter(2, now).setParameter(3, by).executeUpdate());
    }

    public Uni<Integer> startEscalation(UUID alertId, String policy, Instant dueAt) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                insert into escalation (alert_id, policy, step, round, due_at) values (?1, ?2, 0, 0, ?3) on conflict do nothing""")
                .setParameter(1, alertId).setParameter(2, policy).setParameter(3, dueAt).executeUpdate());
    }

    public Uni<Integer> stopEscalations(UUID alertId) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("delete from escalation where alert_id = ?1")
                .setParameter(1, alertId).executeUpdate());
    }

    public Uni<List<DueEscalation>> dueEscalations(Instant now, int limit) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("""
                select e.alert_id, e.policy, e.step, e.round, a.state from escalation e join alert a on a.id = e.alert_id
                where e.due_at <= ?1 order by e.due_at limit ?2 for update of e skip locked""", Object[].class)
                .setParameter(1, now).setParameter(2, limit).getResultList())
                .map(rows -> rows.stream().map(r -> new DueEscalation((UUID) r[0], (String) r[1], ((Number) r[2]).intValue(),
                        ((Number) r[3]).intValue(), (String) r[4])).toList());
    }

    public Uni<Integer> advanceEscalation(UUID alertId, String policy, int step, int round, Instant dueAt) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                "update escalation set step = ?3, round = ?4, due_at = ?5 where alert_id = ?1 and policy = ?2")
                .setParameter(1, alertId).setParameter(2, policy).setParameter(3, step).setParameter(4, round).setParameter(5, dueAt)
                .executeUpdate());
    }

    public Uni<Integer> endEscalation(UUID alertId, String policy) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("delete from escalation where alert_id = ?1 and policy = ?2")
                .setParameter(1, alertId).setParameter(2, policy).executeUpdate());
    }

    static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof OffsetDateTime odt) {
            return odt.toInstant();
        }
        if (value instanceof java.time.LocalDateTime ldt) {
            return ldt.toInstant(ZoneOffset.UTC);
        }
        if (value instanceof java.sql.Timestamp ts) {
            return ts.toInstant();
        }
        throw new IllegalStateException("not a time: " + value.getClass());
    }
}
