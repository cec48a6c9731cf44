package dev.sekisho.auth.service;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * ext_authz's denials, recorded so that nobody can flood the audit log through the gateway: the first denial of a
 * kind (who, route, reason, status) in an interval is recorded at once, in the outbox, before the gateway gets its
 * answer; the rest of that interval only count, and the interval's end records one {@code auth.check.denied} with
 * {@code count} (and signals {@code auth.check.denied.burst} past {@code sekisho.auth.gateway-denials.burst}). Kinds
 * are bounded ({@code max-kinds}): past it, new kinds fold into one per reason with the route {@code *}.
 *
 * <p>The counts of an interval live in this instance's memory until its end (at most one interval's worth is lost if
 * the instance dies, never a first denial); a stopping instance records what it holds.
 */
@ApplicationScoped
public class GatewayDenials {

    private static final Logger LOG = Logger.getLogger(GatewayDenials.class);

    /** What makes two denials the same. */
    record Kind(Who who, String route, String reason, int status) {
    }

    /** The denials of one kind in the current interval after its first. */
    static final class Tally {
        final AtomicLong more = new AtomicLong();
        final Instant since = Instant.now();
        volatile String lastClaimedAddress = "";
    }

    @Inject
    SecurityEvents events;

    @Inject
    AuthSettings settings;

    private final Map<Kind, Tally> open = new ConcurrentHashMap<>();

    /**
     * Records a denial. {@code who}'s address is the one the connection showed (the gateway's), {@code claimedAddress}
     * the one the gateway said the request came from: recorded as claimed, never as the actor's.
     */
    public Uni<Void> denied(Who who, String route, String reason, int status, String claimedAddress) {
        Kind kind = bounded(new Kind(who, route, reason, status));
        boolean[] first = {false};
        Tally tally = open.computeIfAbsent(kind, k -> {
            first[0] = true;
            return new Tally();
        });
        if (!first[0]) {
            tally.more.incrementAndGet();
            tally.lastClaimedAddress = claimedAddress;
            return Uni.createFrom().voidItem();
        }
        return record(kind, 1, claimedAddress, null);
    }

    private Kind bounded(Kind kind) {
        if (open.size() < settings.gatewayDenials().maxKinds() || open.containsKey(kind)) {
            return kind;
        }
        return new Kind(Who.anonymous("", ""), "*", kind.reason(), kind.status());
    }

    /** Ends the interval: one record (and a burst signal when due) per kind that was denied again after its first. */
    @Scheduled(every = "${sekisho.auth.gateway-denials.interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> closeInterval() {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (Kind kind : open.keySet()) {
            Tally tally = open.remove(kind);
            long count = tally == null ? 0 : tally.more.get();
            if (count > 0) {
                all = all.call(() -> record(kind, count, tally.lastClaimedAddress, tally.since)
                        .onFailure().invoke(e -> LOG.warnf("%d denials of %s could not be recorded: %s", count, kind.route(),
                                e.getClass().getSimpleName()))
                        .onFailure().recoverWithNull());
            }
        }
        return all;
    }

    @PreDestroy
    void stop() {
        try {
            closeInterval().await().atMost(java.time.Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("the last interval's denial counts could not be recorded: %s", e.getClass().getSimpleName());
        }
    }

    private Uni<Void> record(Kind kind, long count, String claimedAddress, Instant since) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("status", String.valueOf(kind.status()));
        attributes.put("count", String.valueOf(count));
        attributes.put("claimed_source_ip", claimedAddress == null ? "" : claimedAddress);
        if (since != null) {
            attributes.put("since", since.toString());
        }
        Uni<Void> recorded = events.audit("auth.check.denied", kind.who(), "route", kind.route(), Outcome.OUTCOME_DENIED,
                kind.reason(), attributes);
        if (count < settings.gatewayDenials().burst()) {
            return recorded;
        }
        return recorded.call(() -> events.signal("auth.check.denied.burst", Severity.SEVERITY_WARNING,
                count + " denied gateway requests of one kind in an interval",
                Map.of("route", kind.route(), "reason", kind.reason(), "actor", kind.who().id(), "count", String.valueOf(count))));
    }
}
