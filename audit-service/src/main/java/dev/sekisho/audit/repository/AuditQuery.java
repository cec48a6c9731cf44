package dev.sekisho.audit.repository;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;

import dev.sekisho.common.problem.ProblemException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** Reading the log: filtered pages, newest first, with a cursor; one record; and ranges for export. */
@ApplicationScoped
public class AuditQuery {

    /** Every filter is optional; {@code actionPrefix} matches whole dotted segments ("auth" matches "auth.login"). */
    public record Filter(String actor, String ip, String actionPrefix, String resourceType, String resourceId,
            String outcome, String service, String traceId, Instant from, Instant to) {
    }

    public record Page(List<AuditEventEntity> events, Long nextCursor) {
    }

    public static final int MAX_PAGE = 500;
    static final int EXPORT_CHUNK = 1_000;

    @Inject
    Mutiny.SessionFactory sessions;

    @Inject
    Pseudonyms pseudonyms;

    public Uni<Page> page(Filter filter, Long cursor, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw ProblemException.badRequest("limit must be between 1 and " + MAX_PAGE);
        }
        Map<String, Object> params = new HashMap<>();
        String where = where(filter, params);
        if (cursor != null) {
            where += " and e.seq < :cursor";
            params.put("cursor", cursor);
        }
        String hql = "from AuditEventEntity e where " + where + " order by e.seq desc";
        return sessions.withSession(session -> {
            var query = session.createQuery(hql, AuditEventEntity.class).setMaxResults(limit + 1);
            params.forEach(query::setParameter);
            return query.getResultList();
        }).map(rows -> {
            boolean more = rows.size() > limit;
            List<AuditEventEntity> events = more ? rows.subList(0, limit) : rows;
            return new Page(List.copyOf(events), more ? events.get(events.size() - 1).seq : null);
        });
    }

    public Uni<AuditEventEntity> byId(UUID eventId) {
        return sessions.withSession(session -> session
                .createQuery("from AuditEventEntity e where e.eventId = :id", AuditEventEntity.class)
                .setParameter("id", eventId).getSingleResultOrNull());
    }

    /** Oldest first, in chunks, for export; the stream ends after the last matching record. */
    public Multi<AuditEventEntity> stream(Filter filter) {
        Map<String, Object> params = new HashMap<>();
        String where = where(filter, params);
        return Multi.createBy().repeating()
                .uni(() -> new long[] {0}, last -> sessions.withSession(session -> {
                    var query = session.createQuery("from AuditEventEntity e where " + where + " and e.seq > :after order by e.seq",
                            AuditEventEntity.class).setMaxResults(EXPORT_CHUNK);
                    params.forEach(query::setParameter);
                    query.setParameter("after", last[0]);
                    return query.getResultList();
                }).invoke(rows -> {
                    if (!rows.isEmpty()) {
                        last[0] = rows.get(rows.size() - 1).seq;
                    }
                }))
                .whilst(rows -> rows.size() == EXPORT_CHUNK)
                .onItem().transformToIterable(rows -> rows);
    }

    private String where(Filter f, Map<String, Object> params) {
        List<String> clauses = new ArrayList<>();
        clauses.add("1 = 1");
        if (present(f.actor())) {
            clauses.add("e.actorId = :actor");
            params.put("actor", f.actor());
        }
        if (present(f.ip())) {
            clauses.add("e.actorIp = :ip");
            params.put("ip", pseudonyms.of(f.ip()));
        }
        if (present(f.actionPrefix())) {
            clauses.add("(e.action = :action or e.action like :actionPrefix)");
            params.put("action", f.actionPrefix());
            params.put("actionPrefix", f.actionPrefix().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%");
        }
        if (present(f.resourceType())) {
            clauses.add("e.resourceType = :resourceType");
            params.put("resourceType", f.resourceType());
        }
        if (present(f.resourceId())) {
            clauses.add("e.resourceId = :resourceId");
            params.put("resourceId", f.resourceId());
        }
        if (present(f.outcome())) {
            clauses.add("e.outcome = :outcome");
            params.put("outcome", f.outcome().toLowerCase(java.util.Locale.ROOT));
        }
        if (present(f.service())) {
            clauses.add("e.service = :service");
            params.put("service", f.service());
        }
        if (present(f.traceId())) {
            clauses.add("e.traceId = :traceId");
            params.put("traceId", f.traceId());
        }
        if (f.from() != null) {
            clauses.add("e.occurredAt >= :from");
            params.put("from", f.from());
        }
        if (f.to() != null) {
            clauses.add("e.occurredAt < :to");
            params.put("to", f.to());
        }
        return String.join(" and ", clauses);
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    /** The signed checkpoints with from <= seq <= to, oldest first, at most {@code limit}. */
    public Uni<java.util.List<CheckpointEntity>> checkpoints(long from, long to, int limit) {
        return sessions.withSession(session -> session
                .createQuery("from CheckpointEntity c where c.seq >= :from and c.seq <= :to order by c.seq", CheckpointEntity.class)
                .setParameter("from", from).setParameter("to", to).setMaxResults(limit).getResultList());
    }
}
