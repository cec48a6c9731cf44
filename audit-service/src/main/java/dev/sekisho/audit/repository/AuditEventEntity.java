package dev.sekisho.audit.repository;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One row of the append-only audit log. Never updated: a new fact is a new row. */
@Entity
@Table(name = "audit_event")
public class AuditEventEntity {

    @Id
    public long seq;

    @Column(name = "event_id", nullable = false, unique = true)
    public UUID eventId;

    @Column(name = "occurred_at", nullable = false)
    public Instant occurredAt;

    @Column(name = "recorded_at", nullable = false)
    public Instant recordedAt;

    @Column(name = "actor_type", nullable = false)
    public String actorType;

    @Column(name = "actor_id", nullable = false)
    public String actorId;

    @Column(name = "actor_ip", nullable = false)
    public String actorIp;

    @Column(name = "actor_user_agent", nullable = false)
    public String actorUserAgent;

    @Column(name = "actor_client_id", nullable = false)
    public String actorClientId;

    @Column(nullable = false)
    public String action;

    @Column(name = "resource_type", nullable = false)
    public String resourceType;

    @Column(name = "resource_id", nullable = false)
    public String resourceId;

    @Column(nullable = false)
    public String outcome;

    @Column(nullable = false)
    public String reason;

    @Column(nullable = false)
    public String service;

    @Column(name = "trace_id", nullable = false)
    public String traceId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false, columnDefinition = "jsonb")
    public Map<String, String> attributes;

    @Column(name = "prev_hash", nullable = false)
    public byte[] prevHash;

    @Column(nullable = false)
    public byte[] hash;

    /** PostgreSQL keeps microseconds: a time is cut to them before it is hashed, so that the stored row hashes the same. */
    public static Instant truncateToMicros(Instant instant) {
        return Instant.ofEpochSecond(instant.getEpochSecond(), instant.getNano() / 1_000 * 1_000);
    }
}
