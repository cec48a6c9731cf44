package dev.sekisho.secrets.repository;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A review campaign: what it reviews, who started it, its deadline, and whether it is closed. */
@Entity
@Table(name = "review_campaign")
public class ReviewCampaignEntity {

    @Id
    public String id;

    /** {@code integrations}, {@code access} or {@code both}. */
    @Column(nullable = false)
    public String scope;

    /** {@code open} or {@code closed}. */
    @Column(nullable = false)
    public String state;

    @Column(name = "started_by", nullable = false)
    public String startedBy;

    @Column(name = "started_at", nullable = false)
    public Instant startedAt;

    @Column(nullable = false)
    public Instant deadline;

    @Column(name = "closed_at")
    public Instant closedAt;

    @Column(nullable = false)
    public String note = "";
}
