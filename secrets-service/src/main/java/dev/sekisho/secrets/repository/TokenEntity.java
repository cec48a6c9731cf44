package dev.sekisho.secrets.repository;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A token standing for a value in a namespace: the value sealed (own data key, master-wrapped) and its keyed hash. */
@Entity
@Table(name = "token")
public class TokenEntity {

    @Id
    public String token;

    @Column(nullable = false)
    public String namespace;

    @Column(name = "value_hmac", nullable = false)
    public String valueHmac;

    public byte[] nonce;

    public byte[] ciphertext;

    @Column(name = "wrapped_key")
    public byte[] wrappedKey;

    @Column(name = "master_version")
    public Integer masterVersion;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "expires_at")
    public Instant expiresAt;

    @Column(name = "revoked_at")
    public Instant revokedAt;

    @Column(name = "revoked_by")
    public String revokedBy;
}
