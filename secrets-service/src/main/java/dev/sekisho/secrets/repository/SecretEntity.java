package dev.sekisho.secrets.repository;

import java.time.Instant;
import java.util.Map;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A secret's metadata and its newest version number; the values are in {@link SecretVersionEntity}. */
@Entity
@Table(name = "secret")
public class SecretEntity {

    @Id
    public String path;

    @Column(name = "current_version", nullable = false)
    public int currentVersion;

    @Column(name = "cas_required", nullable = false)
    public boolean casRequired;

    @Column(name = "max_versions", nullable = false)
    public int maxVersions;

    public String owner;

    public String description;

    @Column(name = "rotation_period_seconds")
    public Long rotationPeriodSeconds;

    @Column(name = "expires_at")
    public Instant expiresAt;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "custom_metadata", nullable = false, columnDefinition = "jsonb")
    public Map<String, String> customMetadata;

    /** Addresses the value may be read from; empty: any (the policies still decide who). */
    @jakarta.persistence.Convert(converter = CommaList.class)
    @Column(name = "allowed_cidrs", nullable = false)
    public java.util.List<String> allowedCidrs;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** Written behind by UsageTracker, never per read. */
    @Column(name = "last_read_at", insertable = false, updatable = false)
    public Instant lastReadAt;

    @Column(name = "read_count", insertable = false, updatable = false)
    public long readCount;
}
