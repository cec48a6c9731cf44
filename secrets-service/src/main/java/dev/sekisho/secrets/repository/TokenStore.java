package dev.sekisho.secrets.repository;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/** Tokens, inside the caller's Hibernate Reactive session; one live token per value and namespace (a unique index). */
@ApplicationScoped
public class TokenStore {

    /** The live (not revoked) token of a value's keyed hash in a namespace, or null. */
    public Uni<TokenEntity> live(String namespace, String valueHmac) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from TokenEntity t where t.namespace = :ns and t.valueHmac = :hmac and t.revokedAt is null", TokenEntity.class)
                .setParameter("ns", namespace).setParameter("hmac", valueHmac).getSingleResultOrNull());
    }

    /** Stores a new token; false when a concurrent writer stored one for the same value first (nothing written). */
    public Uni<Boolean> insert(TokenEntity t) {
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                insert into token (token, namespace, value_hmac, nonce, ciphertext, wrapped_key, master_version, created_at, created_by,
                    expires_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) on conflict do nothing""")
                .setParameter(1, t.token).setParameter(2, t.namespace).setParameter(3, t.valueHmac).setParameter(4, t.nonce)
                .setParameter(5, t.ciphertext).setParameter(6, t.wrappedKey).setParameter(7, t.masterVersion)
                .setParameter(8, t.createdAt).setParameter(9, t.createdBy).setParameter(10, t.expiresAt)
                .executeUpdate().map(n -> n == 1));
    }

    public Uni<List<TokenEntity>> find(String namespace, Collection<String> tokens) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from TokenEntity t where t.namespace = :ns and t.token in :tokens", TokenEntity.class)
                .setParameter("ns", namespace).setParameter("tokens", tokens).getResultList());
    }

    /**
     * Revokes live tokens: the sealed value is erased with its data key, so a revoked token reveals nothing even to a
     * later master key holder. Returns the tokens revoked.
     */
    public Uni<Integer> revoke(String namespace, Collection<String> tokens, String by, Instant at) {
        return Panache.getSession().flatMap(session -> session
                .createMutationQuery("update TokenEntity t set t.revokedAt = :at, t.revokedBy = :by, t.nonce = null, t.ciphertext = null, "
                        + "t.wrappedKey = null, t.masterVersion = null where t.namespace = :ns and t.token in :tokens and t.revokedAt is null")
                .setParameter("at", at).setParameter("by", by).setParameter("ns", namespace).setParameter("tokens", tokens)
                .executeUpdate());
    }

    public Uni<List<TokenEntity>> wrappedBy(Collection<Integer> from, String afterToken, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from TokenEntity t where t.masterVersion in :from and t.token > :after order by t.token", TokenEntity.class)
                .setParameter("from", from).setParameter("after", afterToken).setMaxResults(limit)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList());
    }

    public Uni<List<Object[]>> keysByMasterVersion() {
        return Panache.getSession().flatMap(session -> session
                .createSelectionQuery("select t.masterVersion, count(t) from TokenEntity t where t.masterVersion is not null "
                        + "group by t.masterVersion", Object[].class)
                .getResultList());
    }
}
