package dev.sekisho.secrets.repository;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A named transit key: its versions' bounds and rotation; the material is in {@link TransitKeyVersionEntity}, wrapped. */
@Entity
@Table(name = "transit_key")
public class TransitKeyEntity {

    @Id
    public String name;

    @Column(name = "key_type", nullable = false)
    public String keyType;

    @Column(nullable = false)
    public boolean derived;

    @Column(name = "latest_version", nullable = false)
    public int latestVersion;

    @Column(name = "min_decryption_version", nullable = false)
    public int minDecryptionVersion;

    /** 0: the latest version encrypts. */
    @Column(name = "min_encryption_version", nullable = false)
    public int minEncryptionVersion;

    @Column(name = "min_available_version", nullable = false)
    public int minAvailableVersion;

    @Column(name = "auto_rotate_period_seconds")
    public Long autoRotatePeriodSeconds;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "rotated_at", nullable = false)
    public Instant rotatedAt;
}
