package dev.sekisho.secrets.repository;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/**
 * Secrets in PostgreSQL, always inside the caller's Hibernate Reactive session (the service opens the transaction,
 * so that a change and its audit event in the outbox commit together). Writers of one secret are serialised by a
 * row lock on its metadata row, so concurrent writers never lose a version.
 */
@ApplicationScoped
public class SecretStore {

    private static final String CREATE = """
            insert into secret (path, max_versions, created_by) values (?1, ?2, ?3) on conflict (path) do nothing""";

    /** The secret's row, created if it does not exist yet, locked until the transaction ends. */
    public Uni<SecretEntity> lockForWrite(String path, int maxVersions, String createdBy) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery(CREATE)
                .setParameter(1, path).setParameter(2, maxVersions).setParameter(3, createdBy).executeUpdate()
                .chain(() -> session.find(SecretEntity.class, path, LockModeType.PESSIMISTIC_WRITE)));
    }

    /** The secret's row locked, or null when there is none (nothing is created). */
    public Uni<SecretEntity> lockExisting(String path) {
        return Panache.getSession().flatMap(session -> session.find(SecretEntity.class, path, LockModeType.PESSIMISTIC_WRITE));
    }

    public Uni<SecretEntity> find(String path) {
        return Panache.getSession().flatMap(session -> session.find(SecretEntity.class, path));
    }

    public Uni<SecretVersionEntity> version(String path, int version) {
        return Panache.getSession().flatMap(session -> session.find(SecretVersionEntity.class, new SecretVersionEntity.Key(path, version)));
    }

    public Uni<List<SecretVersionEntity>> versions(String path) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from SecretVersionEntity v where v.path = :path order by v.version", SecretVersionEntity.class)
                .setParameter("path", path).getResultList());
    }

    public Uni<Void> add(SecretVersionEntity version) {
        return Panache.getSession().flatMap(session -> session.persist(version));
    }

    /** Removes the versions older than {@code oldestKept}: they are gone, values and keys. */
    public Uni<Integer> trimBefore(String path, int oldestKept) {
        return Panache.getSession().flatMap(session -> session
                .createMutationQuery("delete from SecretVersionEntity v where v.path = :path and v.version < :oldest")
                .setParameter("path", path).setParameter("oldest", oldestKept).executeUpdate());
    }

    /** Paths under a prefix, in order, after a cursor (exclusive), at most {@code limit}. */
    public Uni<List<String>> paths(String prefix, String after, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select s.path from SecretEntity s where substring(s.path, 1, :n) = :prefix and s.path > :after "
                        + "order by s.path", String.class)
                .setParameter("n", prefix.length()).setParameter("prefix", prefix).setParameter("after", after == null ? "" : after)
                .setMaxResults(limit).getResultList());
    }

    /** Versions whose data key a master version other than {@code current} wraps, locked for a rewrap, at most {@code limit}. */
    public Uni<List<SecretVersionEntity>> wrappedByOthers(int current, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from SecretVersionEntity v where v.masterVersion is not null and v.masterVersion <> :current "
                        + "order by v.path, v.version", SecretVersionEntity.class)
                .setParameter("current", current).setMaxResults(limit)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList());
    }

    /** How many stored data keys each master version wraps. */
    public Uni<List<Object[]>> keysByMasterVersion() {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select v.masterVersion, count(v) from SecretVersionEntity v where v.masterVersion is not null "
                        + "group by v.masterVersion order by v.masterVersion", Object[].class)
                .getResultList());
    }
}
