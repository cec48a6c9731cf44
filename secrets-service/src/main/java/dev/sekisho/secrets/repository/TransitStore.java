package dev.sekisho.secrets.repository;

import java.util.Collection;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Transit keys and their wrapped versions, inside the caller's Hibernate Reactive session. Changes to a key
 * (rotate, config, trim) lock its row, so concurrent rotations never hand out one version twice.
 */
@ApplicationScoped
public class TransitStore {

    public Uni<TransitKeyEntity> find(String name) {
        return Panache.getSession().flatMap(session -> session.find(TransitKeyEntity.class, name));
    }

    public Uni<TransitKeyEntity> lock(String name) {
        return Panache.getSession().flatMap(session -> session.find(TransitKeyEntity.class, name, LockModeType.PESSIMISTIC_WRITE));
    }

    /** Creates the key with its first version; false (and nothing written) when the name is taken. */
    public Uni<Boolean> create(TransitKeyEntity key, TransitKeyVersionEntity first) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                insert into transit_key (name, key_type, derived, latest_version, min_decryption_version, min_encryption_version,
                    min_available_version, auto_rotate_period_seconds, created_at, created_by, updated_at, rotated_at)
                values (?1, ?2, ?3, 1, 1, 0, 1, ?4, ?5, ?6, ?5, ?5) on conflict (name) do nothing""")
                .setParameter(1, key.name).setParameter(2, key.keyType).setParameter(3, key.derived)
                .setParameter(4, key.autoRotatePeriodSeconds).setParameter(5, key.createdAt).setParameter(6, key.createdBy)
                .executeUpdate()
                .chain(created -> created == 0 ? Uni.createFrom().item(false) : session.persist(first).replaceWith(true)));
    }

    public Uni<List<TransitKeyVersionEntity>> versions(String name) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from TransitKeyVersionEntity v where v.name = :name order by v.version", TransitKeyVersionEntity.class)
                .setParameter("name", name).getResultList());
    }

    public Uni<Void> addVersion(TransitKeyVersionEntity version) {
        return Panache.getSession().flatMap(session -> session.persist(version));
    }

    /** Deletes the versions below {@code oldestKept}: their material is gone, and so is every ciphertext they made. */
    public Uni<Integer> trimBelow(String name, int oldestKept) {
        return Panache.getSession().flatMap(session -> session
                .createMutationQuery("delete from TransitKeyVersionEntity v where v.name = :name and v.version < :oldest")
                .setParameter("name", name).setParameter("oldest", oldestKept).executeUpdate());
    }

    public Uni<List<String>> names(String after, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select k.name from TransitKeyEntity k where k.name > :after order by k.name", String.class)
                .setParameter("after", after).setMaxResults(limit).getResultList());
    }

    /** Keys whose auto-rotation period has passed since their last rotation, at most {@code limit}. */
    @SuppressWarnings("unchecked")
    public Uni<List<String>> dueForRotation(int limit) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                select name from transit_key where auto_rotate_period_seconds is not null
                and rotated_at + auto_rotate_period_seconds * interval '1 second' <= now() order by name limit ?1""", String.class)
                .setParameter(1, limit).getResultList());
    }

    /** Versions after ({@code afterName}, {@code afterVersion}) wrapped by one of {@code from}, locked for a rewrap. */
    public Uni<List<TransitKeyVersionEntity>> wrappedBy(Collection<Integer> from, String afterName, int afterVersion, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from TransitKeyVersionEntity v where v.masterVersion in :from "
                        + "and (v.name > :name or (v.name = :name and v.version > :version)) order by v.name, v.version",
                        TransitKeyVersionEntity.class)
                .setParameter("from", from).setParameter("name", afterName).setParameter("version", afterVersion).setMaxResults(limit)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList());
    }

    public Uni<List<Object[]>> keysByMasterVersion() {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select v.masterVersion, count(v) from TransitKeyVersionEntity v group by v.masterVersion",
                        Object[].class)
                .getResultList());
    }
}
