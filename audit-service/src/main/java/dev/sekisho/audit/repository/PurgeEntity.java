package dev.sekisho.audit.repository;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One signed retention run: the digest covers the (seq, hash) of every record it removed. */
@Entity
@Table(name = "audit_purge")
public class PurgeEntity {

    @Id
    public long id;

    @Column(name = "purged_at", nullable = false)
    public Instant purgedAt;

    @Column(nullable = false)
    public int records;

    @Column(nullable = false)
    public byte[] digest;

    @Column(name = "key_id", nullable = false)
    public String keyId;

    @Column(nullable = false)
    public byte[] signature;
}
