package dev.sekisho.secrets.repository;

import java.io.Serializable;
import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** One person's approval of an integration (once per person and integration). */
@Entity
@Table(name = "integration_approval")
@IdClass(IntegrationApprovalEntity.Key.class)
public class IntegrationApprovalEntity {

    /** The composite key: which integration, whose approval. */
    public static class Key implements Serializable {
        public String integrationId;
        public String approver;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.integrationId.equals(integrationId) && k.approver.equals(approver);
        }

        @Override
        public int hashCode() {
            return integrationId.hashCode() * 31 + approver.hashCode();
        }
    }

    @Id
    @Column(name = "integration_id")
    public String integrationId;

    @Id
    public String approver;

    @Column(name = "approved_at", nullable = false)
    public Instant approvedAt;

    @Column(nullable = false)
    public String note = "";
}
