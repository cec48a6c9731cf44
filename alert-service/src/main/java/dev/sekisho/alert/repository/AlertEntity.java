package dev.sekisho.alert.repository;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** An alert: a rule that fired for one group of labels, open (firing, acknowledged) until resolved. */
@Entity
@Table(name = "alert")
public class AlertEntity {

    @Id
    public UUID id;

    @Column(nullable = false)
    public String fingerprint;

    @Column(name = "rule_id", nullable = false)
    public String ruleId;

    @Column(name = "rule_type", nullable = false)
    public String ruleType;

    @Column(nullable = false)
    public String title;

    @Column(nullable = false)
    public String severity;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false, columnDefinition = "jsonb")
    public Map<String, String> labels;

    @Column(nullable = false)
    public String state;

    @Column(nullable = false)
    public int occurrences;

    @Column(name = "first_fired_at", nullable = false)
    public Instant firstFiredAt;

    @Column(name = "last_fired_at", nullable = false)
    public Instant lastFiredAt;

    @Column(name = "acknowledged_at")
    public Instant acknowledgedAt;

    @Column(name = "acknowledged_by")
    public String acknowledgedBy;

    @Column(name = "resolved_at")
    public Instant resolvedAt;

    @Column(name = "resolved_by")
    public String resolvedBy;
}
