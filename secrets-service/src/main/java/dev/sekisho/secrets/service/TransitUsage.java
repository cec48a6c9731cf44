package dev.sekisho.secrets.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.config.SecretsSettings;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

/**
 * Audit of the transit operations that release nothing (encrypt, rewrap, hmac, verify), aggregated: each call adds to
 * a tally per key, operation and caller, and every {@code sekisho.secrets.transit.usage-audit-interval} one audit
 * record per tally says who did how many of what with which key, between when and when. A per-call record would make
 * every encryption a database write; decrypt, datakey, key changes and every denial are audited per call instead.
 * The tallies are bounded: past {@code max-usage-tallies} distinct ones, calls are tallied per key and operation under
 * the caller "*". A tally not yet written when the process dies is lost (at most one interval); a clean stop writes it.
 */
@ApplicationScoped
public class TransitUsage {

    private static final Logger LOG = Logger.getLogger(TransitUsage.class);

    record Tally(String key, String operation, Who who) {
    }

    private static final class Count {
        final LongAdder calls = new LongAdder();
        final LongAdder items = new LongAdder();
        final Instant first = Instant.now();
        volatile Instant last = first;
    }

    private final Map<Tally, Count> tallies = new ConcurrentHashMap<>();

    @Inject
    SecurityEvents events;

    @Inject
    SecretsSettings settings;

    public void add(String key, String operation, Who who, int items) {
        Tally tally = new Tally(key, operation, who);
        if (!tallies.containsKey(tally) && tallies.size() >= settings.transit().maxUsageTallies()) {
            tally = new Tally(key, operation, new Who(ActorType.ACTOR_TYPE_UNSPECIFIED, "*", "", "", ""));
        }
        Count count = tallies.computeIfAbsent(tally, t -> new Count());
        count.calls.increment();
        count.items.add(items);
        count.last = Instant.now();
    }

    @Scheduled(every = "${sekisho.secrets.transit.usage-audit-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> flush() {
        if (tallies.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Map.Entry<Tally, Count>> taken = new ArrayList<>();
        for (Tally tally : List.copyOf(tallies.keySet())) {
            Count count = tallies.remove(tally);
            if (count != null) {
                taken.add(Map.entry(tally, count));
            }
        }
        return Panache.withTransaction(() -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Map.Entry<Tally, Count> entry : taken) {
                Tally t = entry.getKey();
                Count c = entry.getValue();
                chain = chain.chain(() -> events.audit("transit." + t.operation(), t.who(), "transit-key", t.key(), Outcome.OUTCOME_SUCCESS,
                        "", Map.of("calls", String.valueOf(c.calls.sum()), "items", String.valueOf(c.items.sum()),
                                "first", c.first.toString(), "last", c.last.toString(), "aggregated", "true")));
            }
            return chain;
        }).onFailure().invoke(e -> {
            LOG.warnf("transit usage records not written, kept for the next flush: %s", e.getClass().getSimpleName());
            taken.forEach(entry -> tallies.merge(entry.getKey(), entry.getValue(), (now, before) -> {
                now.calls.add(before.calls.sum());
                now.items.add(before.items.sum());
                return now;
            }));
        }).onFailure().recoverWithNull().replaceWithVoid();
    }

    void onStop(@Observes ShutdownEvent event) {
        try {
            VertxContextSupport.subscribeAndAwait(() -> flush().ifNoItem().after(java.time.Duration.ofSeconds(5)).recoverWithItem((Void) null));
        } catch (Throwable e) {
            LOG.warnf("transit usage records of the last interval were not written: %s", e.getClass().getSimpleName());
        }
    }
}
