package dev.sekisho.secrets.repository;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

/** Review campaigns and their items in PostgreSQL, inside the caller's Hibernate Reactive session. */
@ApplicationScoped
public class ReviewStore {

    public Uni<Void> add(Object row) {
        return Panache.getSession().flatMap(session -> session.persist(row));
    }

    public Uni<ReviewCampaignEntity> find(String id) {
        return Panache.getSession().flatMap(session -> session.find(ReviewCampaignEntity.class, id));
    }

    public Uni<ReviewCampaignEntity> lock(String id) {
        return Panache.getSession().flatMap(session -> session.find(ReviewCampaignEntity.class, id, LockModeType.PESSIMISTIC_WRITE));
    }

    /** The open campaigns whose deadline has passed, oldest first, at most {@code limit}. */
    public Uni<List<String>> due(Instant now, int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("select c.id from ReviewCampaignEntity c where c.state = 'open' and c.deadline <= :now order by c.deadline",
                        String.class)
                .setParameter("now", now).setMaxResults(limit).getResultList());
    }

    /** Campaigns newest first, at most {@code limit}. */
    public Uni<List<ReviewCampaignEntity>> recent(int limit) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from ReviewCampaignEntity c order by c.startedAt desc, c.id", ReviewCampaignEntity.class)
                .setMaxResults(limit).getResultList());
    }

    public Uni<List<ReviewItemEntity>> items(String campaignId) {
        return Panache.getSession().flatMap(session -> session
                .createQuery("from ReviewItemEntity i where i.campaignId = :id order by i.kind, i.subject, i.itemId", ReviewItemEntity.class)
                .setParameter("id", campaignId).getResultList());
    }

    public Uni<ReviewItemEntity> lockItem(String campaignId, String kind, String itemId) {
        ReviewItemEntity.Key key = new ReviewItemEntity.Key();
        key.campaignId = campaignId;
        key.kind = kind;
        key.itemId = itemId;
        return Panache.getSession().flatMap(session -> session.find(ReviewItemEntity.class, key, LockModeType.PESSIMISTIC_WRITE));
    }
}
