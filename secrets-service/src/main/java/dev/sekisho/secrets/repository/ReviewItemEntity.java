package dev.sekisho.secrets.repository;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** One thing a campaign asks a person to re-confirm: an integration and its credentials, or a user's roles. */
@Entity
@Table(name = "review_item")
@IdClass(ReviewItemEntity.Key.class)
public class ReviewItemEntity {

    /** The composite key: which campaign, which kind, which integration or user. */
    public static class Key implements Serializable {
        public String campaignId;
        public String kind;
        public String itemId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.campaignId.equals(campaignId) && k.kind.equals(kind) && k.itemId.equals(itemId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(campaignId, kind, itemId);
        }
    }

    @Id
    @Column(name = "campaign_id")
    public String campaignId;

    /** {@code integration} or {@code access}. */
    @Id
    public String kind;

    /** The integration's id, or the user's username. */
    @Id
    @Column(name = "item_id")
    public String itemId;

    /** The integration's name, or the username. */
    @Column(nullable = false)
    public String subject;

    /** Who confirms it: the integration's owner, or the user's manager ({@code ""}: an admin). */
    @Column(nullable = false)
    public String reviewer;

    /** The credentials (API key ids) or the roles, comma-separated, as they were when the campaign started. */
    @Column(nullable = false)
    public String detail;

    /** {@code pending}, {@code confirmed}, {@code suspended} or {@code flagged}. */
    @Column(nullable = false)
    public String decision = "pending";

    @Column(name = "decided_by", nullable = false)
    public String decidedBy = "";

    @Column(name = "decided_at")
    public Instant decidedAt;

    @Column(nullable = false)
    public String note = "";
}
