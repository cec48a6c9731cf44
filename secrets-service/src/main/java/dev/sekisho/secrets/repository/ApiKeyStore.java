package dev.sekisho.secrets.repository;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/** API keys in PostgreSQL, inside the caller's Hibernate Reactive session (the service opens the transaction). */
@ApplicationScoped
public class ApiKeyStore {

    public Uni<ApiKeyEntity> find(String id) {
        return Panache.getSession().flatMap(session -> session.find(ApiKeyEntity.class, id));
    }

    public Uni<ApiKeyEntity> lock(String id) {
        return Panache.getSession().flatMap(session -> session.find(ApiKeyEntity.class, id, LockModeType.PESSIMISTIC_WRITE));
    }

    public Uni<Void> add(ApiKeyEntity key) {
        return Panache.getSession().flatMap(session -> session.persist(key));
    }

    /** Keys by id, after a cursor (exclusive), at most {@code limit}; an owner narrows them when given. */
    public Uni<List<ApiKeyEntity>> page(String owner, String after, int limit) {
        String hql = "from ApiKeyEntity k where k.id > :after" + (owner == null ? "" : " and k.owner = :owner") + " order by k.id";
        return Panache.getSession().flatMap(session -> {
            var query = session.createQuery(hql, ApiKeyEntity.class).setParameter("after", after == null ? "" : after).setMaxResults(limit);
            if (owner != null) {
                query.setParameter("owner", owner);
            }
            return query.getResultList();
        });
    }

    /** Keys not revoked, least recently used first, at most {@code limit}: the stale report's. */
    public Uni<List<ApiKeyEntity>> forReport(int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from ApiKeyEntity k where k.revokedAt is null order by coalesce(k.lastUsedAt, k.createdAt)", ApiKeyEntity.class)
                .setMaxResults(limit).getResultList());
    }
}
