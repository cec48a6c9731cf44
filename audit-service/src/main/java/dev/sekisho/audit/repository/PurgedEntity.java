package dev.sekisho.audit.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** What is left of a record removed by retention: its place in the chain and its hash. */
@Entity
@Table(name = "audit_purged")
public class PurgedEntity {

    @Id
    public long seq;

    @Column(nullable = false)
    public byte[] hash;

    @Column(name = "purge_id", nullable = false)
    public long purgeId;
}
