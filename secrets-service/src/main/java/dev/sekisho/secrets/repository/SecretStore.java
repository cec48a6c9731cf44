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

    /**
     * The secret and the version a read asks for (0: the current one) in one query, read-only (nothing to flush):
     * {@code [secret, version]}, the version null when there is none, or null when there is no secret.
     */
    public Uni<Object[]> forRead(String path, int version) {
        return Panache.getSession().flatMap(session -> session.createSelectionQuery(
                "select s, v from SecretEntity s left join SecretVersionEntity v on v.path = s.path "
                        + "and v.version = (case when :version = 0 then s.currentVersion else :version end) where s.path = :path",
                Object[].class)
                .setParameter("path", path).setParameter("version", version).setReadOnly(true).getSingleResultOrNull());
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

    /**
     * Versions after ({@code afterPath}, {@code afterVersion}) whose data key one of {@code from} wraps (the configured
     * versions other than the current one), in order, locked for a rewrap, at most {@code limit}.
     */
    public Uni<List<SecretVersionEntity>> wrappedBy(java.util.Collection<Integer> from, String afterPath, int afterVersion, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from SecretVersionEntity v where v.masterVersion in :from "
                        + "and (v.path > :path or (v.path = :path and v.version > :version)) order by v.path, v.version",
                        SecretVersionEntity.class)
                .setParameter("from", from).setParameter("path", afterPath).setParameter("version", afterVersion).setMaxResults(limit)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList());
    }

    /** How many stored data keys each master version wraps. */
    public Uni<List<Object[]>> keysByMasterVersion() {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select v.masterVersion, count(v) from SecretVersionEntity v where v.masterVersion is not null "
                        + "group by v.masterVersion order by v.masterVersion", Object[].class)
                .getResultList());
    }

    /** The versions whose value has this keyed hash (destroyed ones have none), at most {@code limit}. */
    public Uni<List<SecretVersionEntity>> withValueHash(String hash, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from SecretVersionEntity v where v.valueHmac = :hash order by v.path, v.version", SecretVersionEntity.class)
                .setParameter("hash", hash).setMaxResults(limit).getResultList());
    }

    /** Secrets for the stale report: every one with a version, oldest activity first, at most {@code limit}. */
    public Uni<List<SecretEntity>> forReport(int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from SecretEntity s where s.currentVersion > 0 order by coalesce(s.lastReadAt, s.createdAt)", SecretEntity.class)
                .setMaxResults(limit).getResultList());
    }

    /** When the current version of each of these secrets was written. */
    public Uni<List<Object[]>> currentVersionTimes(List<String> paths) {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select v.path, v.createdAt from SecretVersionEntity v, SecretEntity s "
                        + "where v.path = s.path and v.version = s.currentVersion and s.path in :paths", Object[].class)
                .setParameter("paths", paths).getResultList());
    }
}
