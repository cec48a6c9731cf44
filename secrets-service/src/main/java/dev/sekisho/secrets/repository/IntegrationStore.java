package dev.sekisho.secrets.repository;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/** The integration registry in PostgreSQL, inside the caller's Hibernate Reactive session. */
@ApplicationScoped
public class IntegrationStore {

    public Uni<IntegrationEntity> find(String id) {
        return Panache.getSession().flatMap(session -> session.find(IntegrationEntity.class, id));
    }

    /** The row, locked for a transition: two people acting at once take turns. */
    public Uni<IntegrationEntity> lock(String id) {
        return Panache.getSession().flatMap(session -> session.find(IntegrationEntity.class, id, LockModeType.PESSIMISTIC_WRITE));
    }

    /** Whether a live (not retired) integration has this name. */
    public Uni<Boolean> nameTaken(String name) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("select count(i) from IntegrationEntity i where i.name = :name and i.state <> 'retired'", Long.class)
                .setParameter("name", name).getSingleResult()).map(n -> n > 0);
    }

    public Uni<Void> add(Object row) {
        return Panache.getSession().flatMap(session -> session.persist(row));
    }

    public Uni<List<IntegrationApprovalEntity>> approvals(String id) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from IntegrationApprovalEntity a where a.integrationId = :id order by a.approvedAt", IntegrationApprovalEntity.class)
                .setParameter("id", id).getResultList());
    }

    /** Integrations not retired, by name, at most {@code limit}: the data-flow view's. */
    public Uni<List<IntegrationEntity>> live(int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from IntegrationEntity i where i.state <> 'retired' order by i.name", IntegrationEntity.class)
                .setMaxResults(limit).getResultList());
    }

    /** The API keys issued to these integrations. */
    public Uni<List<ApiKeyEntity>> keysOf(List<String> integrationIds) {
        if (integrationIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Panache.getSession().flatMap(session -> session
                .createQuery("from ApiKeyEntity k where k.integrationId in :ids order by k.id", ApiKeyEntity.class)
                .setParameter("ids", integrationIds).getResultList());
    }

    /** Integrations by id after a cursor, at most {@code limit}; a state and an owner narrow them when given. */
    public Uni<List<IntegrationEntity>> page(String state, String owner, String after, int limit) {
        String hql = "from IntegrationEntity i where i.id > :after" + (state == null ? "" : " and i.state = :state")
                + (owner == null ? "" : " and i.owner = :owner") + " order by i.id";
        return Panache.getSession().flatMap(session -> {
            var query = session.createQuery(hql, IntegrationEntity.class).setParameter("after", after == null ? "" : after)
                    .setMaxResults(limit);
            if (state != null) {
                query.setParameter("state", state);
            }
            if (owner != null) {
                query.setParameter("owner", owner);
            }
            return query.getResultList();
        });
    }

    /** The approved and active integrations this user owns, locked: a leaver's, to suspend. */
    public Uni<List<IntegrationEntity>> lockLiveOwnedBy(String owner) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from IntegrationEntity i where i.owner = :owner and i.state in ('approved', 'active') order by i.id",
                        IntegrationEntity.class)
                .setParameter("owner", owner).setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList());
    }

    /** The live (not retired) integrations that name this Keycloak client among their service clients. */
    public Uni<List<IntegrationEntity>> liveWithClient(String clientId) {
        return Panache.getSession().flatMap(session -> session
                .createNativeQuery("select * from integration where state <> 'retired' and ? = any(string_to_array(service_clients, ','))",
                        IntegrationEntity.class)
                .setParameter(1, clientId).getResultList());
    }
}
