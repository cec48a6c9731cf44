package dev.sekisho.auth.service;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.representations.idm.AdminEventRepresentation;
import org.keycloak.representations.idm.AuthDetailsRepresentation;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.client.SecretsClient;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * The watch on permission and configuration changes: Keycloak's admin events (role grants and removals, users created,
 * disabled or deleted, credentials reset, clients and their secrets changed, whether made in Keycloak's admin console,
 * its admin API or by Sekisho) are read every {@code sekisho.auth.admin-events.interval}, each recorded in the audit log
 * as {@code auth.permission.changed} with the admin who made it, and signalled to alert-service with labels its rules
 * match on ({@code change}, {@code roles}, {@code actor}, {@code target}, {@code hour_utc}, {@code weekday}).
 *
 * <p>One instance reads at a time (a lease in Redis); where it stopped (the last event's time and the ids read at that
 * time) is kept in Redis, so a restart or another instance goes on from there: every event is recorded at least once.
 * A user disabled is a leaver: their username is queued in Redis and secrets-service is asked to suspend the
 * integrations they own until it has said yes.
 */
@ApplicationScoped
public class AdminEventWatch {

    private static final Logger LOG = Logger.getLogger(AdminEventWatch.class);
    static final String CURSOR = "sekisho:auth:admin-events:cursor";
    static final String LEASE = "sekisho:auth:admin-events:lease";
    static final String LEAVERS = "sekisho:auth:leavers";
    static final int MAX_NAMES = 1000;

    @Inject
    Keycloak admin;

    @Inject
    SecurityEvents events;

    @Inject
    SecretsClient secrets;

    @Inject
    ReactiveRedisDataSource redis;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realmName;

    @Inject
    AuthSettings settings;

    private final String instance = UUID.randomUUID().toString();
    /** Keycloak user id → username, for actors and targets; bounded. */
    private final Map<String, String> names = java.util.Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_NAMES;
        }
    });

    /** Where the watch stopped: the last event's time, and the ids of the events read at that time. */
    record Cursor(long time, Set<String> ids) {

        static Cursor parse(String text) {
            int colon = text.indexOf(':');
            Set<String> ids = new HashSet<>();
            if (colon < text.length() - 1) {
                ids.addAll(List.of(text.substring(colon + 1).split(",")));
            }
            return new Cursor(Long.parseLong(text.substring(0, colon)), ids);
        }

        String text() {
            return time + ":" + String.join(",", ids);
        }
    }

    @Scheduled(every = "${sekisho.auth.admin-events.interval:5s}", delayed = "${sekisho.auth.admin-events.interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> poll() {
        return lease().chain(held -> held ? readOnce().chain(this::suspendLeavers) : Uni.createFrom().voidItem())
                .onFailure().invoke(e -> LOG.warnf("admin events not read this time (%s); next try in %s", e.getClass().getSimpleName(), settings.adminEvents().interval()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Reads and records the events after the cursor (up to {@code batch}), then moves the cursor past them. */
    Uni<Void> readOnce() {
        return redis.value(String.class).get(CURSOR)
                .map(text -> text == null ? new Cursor(Instant.now().minus(settings.adminEvents().backfill()).toEpochMilli(), Set.of()) : Cursor.parse(text))
                .chain(cursor -> Uni.createFrom().item(() -> fetch(cursor)).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                        .chain(fresh -> record(cursor, fresh)));
    }

    private List<AdminEventRepresentation> fetch(Cursor cursor) {
        List<AdminEventRepresentation> all = admin.realm(realmName).getAdminEvents(null, null, null, null, null, null, null,
                String.valueOf(cursor.time()), null, 0, settings.adminEvents().batch() + cursor.ids().size(), "asc");
        List<AdminEventRepresentation> fresh = new ArrayList<>();
        for (AdminEventRepresentation event : all) {
            if (!(event.getTime() == cursor.time() && cursor.ids().contains(event.getId())) && fresh.size() < settings.adminEvents().batch()) {
                fresh.add(event);
                names(event);
            }
        }
        return fresh;
    }

    /** Looks up (on this worker thread) the usernames the events' records will name, so recording needs no Keycloak call. */
    private void names(AdminEventRepresentation event) {
        AuthDetailsRepresentation by = event.getAuthDetails();
        if (by != null && by.getUserId() != null) {
            username(by.getUserId());
        }
        AdminChange change = AdminChange.of(event);
        if (change.targetType().equals("user") && !change.targetId().isEmpty()) {
            if (!change.username().isEmpty()) {
                names.put(change.targetId(), change.username());
            } else if (!change.change().equals("user.deleted")) {
                username(change.targetId());
            }
        }
    }

    private String username(String userId) {
        String known = names.get(userId);
        if (known != null) {
            return known;
        }
        try {
            String name = admin.realm(realmName).users().get(userId).toRepresentation().getUsername();
            names.put(userId, name);
            return name;
        } catch (RuntimeException e) {
            return "";
        }
    }

    private Uni<Void> record(Cursor cursor, List<AdminEventRepresentation> fresh) {
        if (fresh.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> all = Uni.createFrom().voidItem();
        for (AdminEventRepresentation event : fresh) {
            all = all.chain(() -> recordOne(event));
        }
        long last = fresh.get(fresh.size() - 1).getTime();
        Set<String> ids = new HashSet<>(last == cursor.time() ? cursor.ids() : Set.of());
        fresh.stream().filter(e -> e.getTime() == last).forEach(e -> ids.add(e.getId()));
        return all.chain(() -> redis.value(String.class).set(CURSOR, new Cursor(last, ids).text()));
    }

    private Uni<Void> recordOne(AdminEventRepresentation event) {
        AdminChange change = AdminChange.of(event);
        Who actor = actor(event.getAuthDetails());
        String target = change.targetType().equals("user") ? names.getOrDefault(change.targetId(), change.targetId()) : change.targetId();
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("change", change.change());
        attributes.put("operation", nz(event.getOperationType()));
        attributes.put("resource_type", nz(event.getResourceType()));
        attributes.put("resource_path", AdminChange.path(event));
        attributes.put("roles", String.join(",", change.roles()));
        attributes.put("keycloak_event_id", nz(event.getId()));
        attributes.put("keycloak_time", Instant.ofEpochMilli(event.getTime()).toString());
        Outcome outcome = event.getError() == null ? Outcome.OUTCOME_SUCCESS : Outcome.OUTCOME_FAILURE;
        ZonedDateTime at = Instant.ofEpochMilli(event.getTime()).atZone(ZoneOffset.UTC);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("change", change.change());
        labels.put("resource_type", nz(event.getResourceType()).toLowerCase(Locale.ROOT));
        labels.put("actor", actor.id().isEmpty() ? "unknown" : actor.id());
        labels.put("target", target);
        if (change.targetType().equals("user")) {
            // the person the change is about, as every other signal names a person: inhibition rules that compare
            // `user` keep an admin grant's alert from silencing alerts about somebody else
            labels.put("user", target);
        }
        labels.put("roles", String.join(",", change.roles()));
        labels.put("hour_utc", String.format(Locale.ROOT, "%02d", at.getHour()));
        labels.put("weekday", at.getDayOfWeek().name().substring(0, 3).toLowerCase(Locale.ROOT));
        Severity severity = change.sensitive() && !change.change().startsWith("user.created") ? Severity.SEVERITY_WARNING
                : Severity.SEVERITY_INFO;
        Uni<Void> recorded = events.audit("auth.permission.changed", actor, change.targetType(), target, outcome, "", attributes)
                .chain(() -> events.signal("auth.permission.changed", severity, summary(change, target), labels));
        if (change.change().equals("user.disabled") && outcome == Outcome.OUTCOME_SUCCESS && !target.isEmpty() && !target.equals(change.targetId())) {
            recorded = recorded.chain(() -> redis.set(String.class).sadd(LEAVERS, target).replaceWithVoid());
        }
        return recorded;
    }

    /** Asks secrets-service to suspend each queued leaver's integrations; a leaver leaves the queue once it has said yes. */
    Uni<Void> suspendLeavers() {
        return redis.set(String.class).smembers(LEAVERS).chain(leavers -> {
            Uni<Void> all = Uni.createFrom().voidItem();
            for (String leaver : leavers) {
                all = all.chain(() -> secrets.suspendOwnedBy(leaver, "its owner was disabled in Keycloak")
                        .chain(() -> redis.set(String.class).srem(LEAVERS, leaver).replaceWithVoid())
                        .onFailure().invoke(e -> LOG.warnf("the integrations of a leaver are not suspended yet (%s); next try in %s",
                                e.getClass().getSimpleName(), settings.adminEvents().interval()))
                        .onFailure().recoverWithNull().replaceWithVoid());
            }
            return all;
        });
    }

    /** Holds the lease for three intervals: only its holder reads. */
    private Uni<Boolean> lease() {
        long ms = settings.adminEvents().interval().multipliedBy(3).toMillis();
        return redis.execute("SET", LEASE, instance, "NX", "PX", String.valueOf(ms)).chain(set -> {
            if (set != null) {
                return Uni.createFrom().item(true);
            }
            return redis.value(String.class).get(LEASE).chain(holder -> instance.equals(holder)
                    ? redis.key(String.class).pexpire(LEASE, ms)
                    : Uni.createFrom().item(false));
        });
    }

    private Who actor(AuthDetailsRepresentation by) {
        String ip = by == null ? "" : nz(by.getIpAddress());
        String name = by == null || by.getUserId() == null ? "" : names.getOrDefault(by.getUserId(), by.getUserId());
        if (name.startsWith("service-account-")) {
            return Who.client(name.substring("service-account-".length()), ip, "");
        }
        return Who.user(name, ip, "");
    }

    private static String summary(AdminChange change, String target) {
        return switch (change.change()) {
            case "role.granted" -> "roles " + String.join(", ", change.roles()) + " granted to " + change.targetType() + " " + target;
            case "role.removed" -> "roles " + String.join(", ", change.roles()) + " removed from " + change.targetType() + " " + target;
            default -> change.change() + " (" + change.targetType() + " " + target + ")";
        };
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }
}
