package dev.sekisho.audit.repository;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A signed statement "the chain up to seq ends in hash", verifiable offline with the public key. */
@Entity
@Table(name = "audit_checkpoint")
public class CheckpointEntity {

    @Id
    public long seq;

    @Column(nullable = false)
    public byte[] hash;

    @Column(name = "signed_at", nullable = false)
    public Instant signedAt;

    @Column(name = "key_id", nullable = false)
    public String keyId;

    @Column(nullable = false)
    public byte[] signature;

    @Column(nullable = false)
    public boolean anchor;
}
