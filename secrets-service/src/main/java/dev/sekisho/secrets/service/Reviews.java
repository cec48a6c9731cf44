package dev.sekisho.secrets.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.v1.AccessEntry;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.text.Csv;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.client.AuthClient;
import dev.sekisho.secrets.repository.IntegrationEntity;
import dev.sekisho.secrets.repository.IntegrationStore;
import dev.sekisho.secrets.repository.ReviewCampaignEntity;
import dev.sekisho.secrets.repository.ReviewItemEntity;
import dev.sekisho.secrets.repository.ReviewStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Periodic review campaigns, the evidence ISO/IEC 27001 and SOC 2 auditors ask for. An admin starts one of
 * integrations, of user access, or both, with a deadline N days away: each integration's owner re-confirms it and its
 * credentials, each user's manager (Keycloak attribute {@code manager}, else an admin other than the user) their
 * realm roles. At the deadline (checked every {@code sekisho.secrets.reviews.check-interval}, by one instance at a
 * time under the campaign's row lock) what is unconfirmed is acted on: an integration is suspended
 * ({@code review_unconfirmed}), a user is flagged for disable (audited and signalled as {@code review.user.flagged},
 * which alert rules route). Progress and results export as JSON and CSV with who confirmed what and when.
 */
@ApplicationScoped
public class Reviews {

    private static final Logger LOG = Logger.getLogger(Reviews.class);
    static final int MAX_DAYS = 90;
    static final int MAX_ITEMS = 10_000;
    static final int MAX_LIST = 100;
    private static final Pattern ID = Pattern.compile("[a-z2-7]{16}");
    private static final Set<String> SCOPES = Set.of("integrations", "access", "both");
    private static final Set<String> KINDS = Set.of("integration", "access");
    static final String CSV_HEADER = "campaign_id,kind,item_id,subject,reviewer,detail,decision,decided_by,decided_at,note\n";
    /** The actor of what the deadline does: this service, nobody's request. */
    private static final Who DEADLINE = new Who(ActorType.ACTOR_TYPE_SYSTEM, "secrets-service", "", "", "");

    public record Item(String kind, String itemId, String subject, String reviewer, List<String> detail, String decision,
            String decidedBy, Instant decidedAt, String note) {
    }

    public record Summary(int items, int pending, int confirmed, int suspended, int flagged) {
    }

    public record Campaign(String id, String scope, String state, String startedBy, Instant startedAt, Instant deadline, Instant closedAt,
            String note, Summary summary, List<Item> items) {
    }

    @Inject
    ReviewStore store;

    @Inject
    IntegrationStore integrationStore;

    @Inject
    Integrations integrations;

    @Inject
    AuthClient auth;

    @Inject
    SecurityEvents events;

    /** Starts a campaign (admins): the items are what is live now, each with the person who must confirm it. */
    public Uni<Campaign> start(Accessor who, String scope, int days, String note) {
        if (scope == null || !SCOPES.contains(scope)) {
            return Uni.createFrom().failure(ProblemException.badRequest("scope is one of integrations, access, both"));
        }
        if (days < 1 || days > MAX_DAYS) {
            return Uni.createFrom().failure(ProblemException.badRequest("days must be between 1 and " + MAX_DAYS));
        }
        String why = text("note", note);
        Uni<List<AccessEntry>> access = scope.equals("integrations") ? Uni.createFrom().item(List.of())
                : auth.listAccess().map(r -> r.getEntriesList());
        return access.chain(users -> Panache.withTransaction(() -> integrationStore.live(Integrations.MAX_FLOWS).chain(rows -> {
            List<IntegrationEntity> reviewed = scope.equals("access") ? List.of()
                    : rows.stream().filter(r -> !r.state.equals("proposed")).toList();
            return integrationStore.keysOf(reviewed.stream().map(r -> r.id).toList()).chain(keys -> {
                Instant now = Instant.now();
                ReviewCampaignEntity campaign = new ReviewCampaignEntity();
                campaign.id = ApiKeys.randomId();
                campaign.scope = scope;
                campaign.state = "open";
                campaign.startedBy = who.name();
                campaign.startedAt = now;
                campaign.deadline = now.plus(Duration.ofDays(days));
                campaign.note = why;
                List<ReviewItemEntity> items = new ArrayList<>();
                for (IntegrationEntity row : reviewed) {
                    List<String> credentials = new ArrayList<>(keys.stream().filter(k -> row.id.equals(k.integrationId)
                            && !"revoked".equals(ApiKeys.state(k, now))).map(k -> "apikey:" + k.id).toList());
                    row.serviceClients.forEach(client -> credentials.add("client:" + client));
                    items.add(item(campaign.id, "integration", row.id, row.name, row.owner, credentials));
                }
                for (AccessEntry user : users) {
                    if (user.getEnabled() && user.getRolesCount() > 0) {
                        items.add(item(campaign.id, "access", user.getUsername(), user.getUsername(), user.getManager(), user.getRolesList()));
                    }
                }
                if (items.size() > MAX_ITEMS) {
                    throw ProblemException.badRequest("a campaign reviews at most " + MAX_ITEMS + " items; review integrations and access apart");
                }
                Uni<Void> all = store.add(campaign);
                for (ReviewItemEntity item : items) {
                    all = all.chain(() -> store.add(item));
                }
                Map<String, String> attributes = Map.of("scope", scope, "deadline", campaign.deadline.toString(), "items",
                        String.valueOf(items.size()));
                return all.chain(() -> events.audit("review.started", who.who(), "review", campaign.id, Outcome.OUTCOME_SUCCESS, why, attributes))
                        .chain(() -> events.signal("review.started", Severity.SEVERITY_INFO, "A review campaign started",
                                Map.of("review", campaign.id, "scope", scope, "items", String.valueOf(items.size()))))
                        .replaceWith(() -> campaign(campaign, items));
            });
        })));
    }

    /**
     * One reviewer's confirmation of one item: only the person it names (the owner, the manager; an admin other than the
     * user when there is no manager), while the campaign is open and before its deadline; once.
     */
    public Uni<Campaign> confirm(Accessor who, String campaignId, String kind, String itemId, String note) {
        if (who.isApiKey()) {
            return Uni.createFrom().failure(new ProblemException(ProblemType.FORBIDDEN, "A review is confirmed by a person."));
        }
        if (kind == null || !KINDS.contains(kind) || itemId == null || itemId.length() > 128) {
            return Uni.createFrom().failure(ProblemException.notFound("There is no such item in this review."));
        }
        String why = text("note", note);
        return Panache.withTransaction(() -> lockedCampaign(campaignId).chain(campaign -> store.lockItem(campaign.id, kind, itemId).chain(item -> {
            if (item == null) {
                throw ProblemException.notFound("There is no such item in this review.");
            }
            if (!campaign.state.equals("open") || !Instant.now().isBefore(campaign.deadline)) {
                throw new ProblemException(ProblemType.CONFLICT, "This review is closed (its deadline has passed).");
            }
            if (!mayConfirm(who, item)) {
                throw new ProblemException(ProblemType.FORBIDDEN, item.kind.equals("integration")
                        ? "An integration is confirmed by its owner." : "A user's roles are confirmed by their manager (an admin when they have none, never the user).");
            }
            if (!item.decision.equals("pending")) {
                throw new ProblemException(ProblemType.CONFLICT, "This item is " + item.decision + " already.");
            }
            item.decision = "confirmed";
            item.decidedBy = who.name();
            item.decidedAt = Instant.now();
            item.note = why;
            return events.audit("review.item.confirmed", who.who(), "review", campaign.id, Outcome.OUTCOME_SUCCESS, why,
                    Map.of("kind", item.kind, "item", item.itemId, "subject", item.subject, "detail", item.detail))
                    .chain(() -> store.items(campaign.id)).map(items -> campaign(campaign, items));
        })));
    }

    private static boolean mayConfirm(Accessor who, ReviewItemEntity item) {
        if (!item.reviewer.isEmpty()) {
            return item.reviewer.equals(who.name());
        }
        return who.roles().contains(Permissions.ADMIN) && !item.subject.equals(who.name());
    }

    public Uni<Campaign> get(String id) {
        return Panache.withSession(() -> find(id).chain(campaign -> store.items(campaign.id).map(items -> campaign(campaign, items))));
    }

    /** The items a reviewer has to confirm in a campaign (theirs, and the manager-less ones for an admin). */
    public Uni<List<Item>> mine(Accessor who, String id) {
        return get(id).map(c -> c.items().stream().filter(i -> i.reviewer().equals(who.name())
                || (i.reviewer().isEmpty() && who.roles().contains(Permissions.ADMIN) && !i.subject().equals(who.name()))).toList());
    }

    public Uni<List<Campaign>> list() {
        return Panache.withSession(() -> store.recent(MAX_LIST)).map(rows -> rows.stream().map(c -> campaign(c, null)).toList());
    }

    /** The campaign with every item, as JSON evidence (audited). */
    public Uni<Campaign> exportJson(Accessor who, String id) {
        return get(id).call(c -> exported(who, c, "json"));
    }

    /** The campaign's items as CSV evidence with a header line (audited). */
    public Uni<String> exportCsv(Accessor who, String id) {
        return get(id).call(c -> exported(who, c, "csv")).map(c -> {
            StringBuilder out = new StringBuilder(CSV_HEADER);
            for (Item i : c.items()) {
                out.append(Csv.row(c.id(), i.kind(), i.itemId(), i.subject(), i.reviewer(), String.join(" ", i.detail()), i.decision(),
                        i.decidedBy(), i.decidedAt() == null ? "" : i.decidedAt().toString(), i.note()));
            }
            return out.toString();
        });
    }

    private Uni<Void> exported(Accessor who, Campaign c, String format) {
        return Panache.withTransaction(() -> events.audit("review.exported", who.who(), "review", c.id(), Outcome.OUTCOME_SUCCESS, "",
                Map.of("format", format, "items", String.valueOf(c.items().size()))));
    }

    /** Closes the campaigns whose deadline has passed; a failure is retried at the next check. */
    @Scheduled(every = "${sekisho.secrets.reviews.check-interval:1m}", delayed = "${sekisho.secrets.reviews.check-interval:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> closeDue() {
        return Panache.withSession(() -> store.due(Instant.now(), 10)).chain(ids -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (String id : ids) {
                all = all.chain(() -> close(id).onFailure().invoke(e -> LOG.warnf("review %s not closed yet (%s); next check retries",
                        id, e.getClass().getSimpleName())).onFailure().recoverWithNull().replaceWithVoid());
            }
            return all;
        }).onFailure().invoke(e -> LOG.warnf("reviews past their deadline not looked for (%s)", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** The deadline: every pending item is acted on, the campaign closes; one transaction, under the campaign's lock. */
    Uni<Void> close(String id) {
        Accessor system = new Accessor(Set.of(), DEADLINE);
        return Panache.withTransaction(() -> store.lock(id).chain(campaign -> {
            if (campaign == null || !campaign.state.equals("open")) {
                return Uni.createFrom().voidItem();
            }
            return store.items(id).chain(items -> {
                Instant now = Instant.now();
                Uni<Void> all = Uni.createFrom().voidItem();
                for (ReviewItemEntity item : items) {
                    if (!item.decision.equals("pending")) {
                        continue;
                    }
                    item.decidedBy = DEADLINE.id();
                    item.decidedAt = now;
                    if (item.kind.equals("integration")) {
                        item.decision = "suspended";
                        all = all.chain(() -> integrationStore.lock(item.itemId).chain(row -> row == null ? Uni.createFrom().voidItem()
                                : integrations.suspendLocked(system, row, Integrations.REVIEW_UNCONFIRMED,
                                        "not confirmed by its owner in review " + id + " by its deadline")));
                    } else {
                        item.decision = "flagged";
                        all = all.chain(() -> events.audit("review.access.flagged", DEADLINE, "user", item.itemId, Outcome.OUTCOME_SUCCESS,
                                "roles not confirmed by the user's manager by the deadline", Map.of("review", id, "roles", item.detail)))
                                .chain(() -> events.signal("review.user.flagged", Severity.SEVERITY_WARNING,
                                        "A user's roles were not confirmed in review; flagged for disable",
                                        Map.of("review", id, "user", item.itemId, "roles", item.detail)));
                    }
                }
                campaign.state = "closed";
                campaign.closedAt = now;
                Summary s = summary(items);
                Map<String, String> counts = Map.of("items", String.valueOf(s.items()), "confirmed", String.valueOf(s.confirmed()),
                        "suspended", String.valueOf(s.suspended()), "flagged", String.valueOf(s.flagged()));
                return all.chain(() -> events.audit("review.closed", DEADLINE, "review", id, Outcome.OUTCOME_SUCCESS, "deadline", counts))
                        .chain(() -> {
                            Map<String, String> labels = new LinkedHashMap<>(counts);
                            labels.put("review", id);
                            return events.signal("review.closed", s.suspended() + s.flagged() > 0 ? Severity.SEVERITY_WARNING : Severity.SEVERITY_INFO,
                                    "A review campaign closed", labels);
                        });
            });
        }));
    }

    private Uni<ReviewCampaignEntity> find(String id) {
        return store.find(checkedId(id)).map(c -> {
            if (c == null) {
                throw ProblemException.notFound("There is no review with this id.");
            }
            return c;
        });
    }

    private Uni<ReviewCampaignEntity> lockedCampaign(String id) {
        return store.lock(checkedId(id)).map(c -> {
            if (c == null) {
                throw ProblemException.notFound("There is no review with this id.");
            }
            return c;
        });
    }

    private static String checkedId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw ProblemException.notFound("There is no review with this id.");
        }
        return id;
    }

    private static ReviewItemEntity item(String campaignId, String kind, String itemId, String subject, String reviewer, List<String> detail) {
        ReviewItemEntity item = new ReviewItemEntity();
        item.campaignId = campaignId;
        item.kind = kind;
        item.itemId = itemId;
        item.subject = subject;
        item.reviewer = reviewer == null ? "" : reviewer;
        item.detail = String.join(",", detail);
        return item;
    }

    private static String text(String name, String value) {
        String text = value == null ? "" : value.strip();
        if (text.length() > 500) {
            throw ProblemException.badRequest(name + " is at most 500 characters");
        }
        return text;
    }

    private static Summary summary(List<ReviewItemEntity> items) {
        int pending = 0;
        int confirmed = 0;
        int suspended = 0;
        int flagged = 0;
        for (ReviewItemEntity i : items) {
            switch (i.decision) {
                case "confirmed" -> confirmed++;
                case "suspended" -> suspended++;
                case "flagged" -> flagged++;
                default -> pending++;
            }
        }
        return new Summary(items.size(), pending, confirmed, suspended, flagged);
    }

    private static Campaign campaign(ReviewCampaignEntity c, List<ReviewItemEntity> items) {
        return new Campaign(c.id, c.scope, c.state, c.startedBy, c.startedAt, c.deadline, c.closedAt, c.note,
                items == null ? null : summary(items),
                items == null ? null : items.stream().map(i -> new Item(i.kind, i.itemId, i.subject, i.reviewer,
                        i.detail.isEmpty() ? List.of() : List.of(i.detail.split(",")), i.decision, i.decidedBy, i.decidedAt, i.note))
                        .toList());
    }
}
