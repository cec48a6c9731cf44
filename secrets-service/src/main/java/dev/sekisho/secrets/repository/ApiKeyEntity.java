package dev.sekisho.secrets.repository;

import java.time.Instant;
import java.util.List;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;


/** An API key's public id, owner, scopes and limits, and the keyed hash of the key; never the key. */
@Entity
@Table(name = "api_key")
public class ApiKeyEntity {

    @Id
    public String id;

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public String owner;

    /** The integration of the registry it belongs to (null only for keys issued before the registry). */
    @Column(name = "integration_id")
    public String integrationId;

    /** Role names (no commas: validated), stored comma-separated. */
    @Convert(converter = CommaList.class)
    @Column(nullable = false)
    public List<String> scopes;

    @Convert(converter = CommaList.class)
    @Column(name = "allowed_cidrs", nullable = false)
    public List<String> allowedCidrs;

    @Column(nullable = false)
    public String hash;

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

    @Column(name = "revoke_reason")
    public String revokeReason;

    @Column(name = "replaced_by")
    public String replacedBy;

    /** Written behind by UsageTracker, never per verification. */
    @Column(name = "last_used_at", insertable = false, updatable = false)
    public Instant lastUsedAt;

    @Column(name = "use_count", insertable = false, updatable = false)
    public long useCount;
}
