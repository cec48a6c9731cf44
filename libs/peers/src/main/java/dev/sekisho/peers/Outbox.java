package dev.sekisho.peers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import dev.sekisho.alert.v1.Severity;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The transactional outbox every Sekisho service emits through: {@link #put} stores an entry in the service's own
 * store ({@link OutboxStore}: a Redis stream, or a PostgreSQL table written in the caller's transaction) and the
 * caller answers only after it returned; a relay then hands entries to their {@link OutboxDelivery} and removes each
 * one only when the peer acknowledged it. Instances share the work; entries held by an instance that died are taken
 * over by another after {@code sekisho.outbox.claim-after}. A peer that is down only delays delivery: nothing is
 * dropped, and an entry the peer rejects moves to the dead letters.
 */
@ApplicationScoped
public class Outbox {

    private static final Logger LOG = Logger.getLogger(Outbox.class);

    private final String consumer = "relay-" + UUID.randomUUID();
    private final Map<String, OutboxDelivery> deliveries;
    private final OutboxStore store;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Map<String, AtomicLong> backlog;
    private final Map<String, AtomicLong> oldestMillis;
    private final Timer writes;
    private final AtomicBoolean relaying = new AtomicBoolean();
    /** Streams whose last delivery attempt failed: an operator hears once when one starts failing, once when it recovers. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();

    @ConfigProperty(name = "sekisho.outbox.batch-size")
    int batchSize;

    @ConfigProperty(name = "sekisho.outbox.delivery-timeout")
    Duration deliveryTimeout;

    @ConfigProperty(name = "sekisho.outbox.claim-after")
    Duration claimAfter;

    /** Lazily: SecurityEvents stores through this outbox. */
    @Inject
    Instance<SecurityEvents> events;

    @Inject
    public Outbox(OutboxStore store, Instance<OutboxDelivery> deliveries, MeterRegistry metrics) {
        this.store = store;
        this.deliveries = deliveries.stream().collect(Collectors.toMap(OutboxDelivery::stream, Function.identity()));
        this.backlog = this.deliveries.keySet().stream().collect(Collectors.toMap(Function.identity(), s -> new AtomicLong()));
        this.oldestMillis = this.deliveries.keySet().stream().collect(Collectors.toMap(Function.identity(), s -> new AtomicLong()));
        backlog.forEach((stream, size) -> Gauge.builder("sekisho_outbox_backlog", size, AtomicLong::get)
                .tag("stream", stream).description("Entries waiting for their peer's acknowledgement").register(metrics));
        oldestMillis.forEach((stream, age) -> Gauge.builder("sekisho_outbox_oldest_age_seconds", age, a -> a.get() / 1000.0)
                .tag("stream", stream).description("How long the oldest waiting entry has waited").register(metrics));
        FunctionCounter.builder("sekisho_outbox_delivered", delivered, AtomicLong::get)
                .description("Entries their peer acknowledged").register(metrics);
        FunctionCounter.builder("sekisho_outbox_dead_lettered", deadLettered, AtomicLong::get)
                .description("Entries their peer rejected, moved to the dead letters").register(metrics);
        this.writes = Timer.builder("sekisho_outbox_write")
                .description("Time to store an entry (the answer to its caller waits for it)").register(metrics);
    }

    /** Stores an entry for delivery; completes once it is durable. Fails (the caller must not answer OK) otherwise. */
    public Uni<Void> put(String stream, byte[] payload) {
        if (!deliveries.containsKey(stream)) {
            return Uni.createFrom().failure(new IllegalArgumentException("no delivery for outbox stream " + stream));
        }
        Timer.Sample sample = Timer.start();
        return store.put(stream, payload).onTermination().invoke(() -> sample.stop(writes));
    }

    /** Entries of a stream not yet acknowledged by the peer (for readiness and tests). */
    public Uni<Long> pending(String stream) {
        return store.backlog(stream).map(OutboxStore.Backlog::entries);
    }

    /** Up to {@code max} entries still waiting in a stream, oldest first, as they were put (for operators and tests). */
    public Uni<List<byte[]>> waiting(String stream, int max) {
        return store.waiting(stream, max);
    }

    /**
     * One relay pass over every stream: this instance's unacknowledged entries first, then new ones. One pass at a
     * time per instance (a second one would be handed the same held entries and deliver them twice).
     */
    @Scheduled(every = "${sekisho.outbox.poll-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> relay() {
        if (!relaying.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(deliveries.values()).onItem()
                .transformToUniAndConcatenate(this::relay).collect().last()
                .onFailure().invoke(e -> LOG.debugf("outbox relay pass failed: %s", e.toString()))
                .onFailure().recoverWithNull()
                .onTermination().invoke(() -> relaying.set(false))
                .replaceWithVoid();
    }

    private Uni<Void> relay(OutboxDelivery delivery) {
        String stream = delivery.stream();
        return store.claim(stream, consumer, batchSize, claimAfter)
                .flatMap(batch -> deliverAll(delivery, batch))
                .call(() -> store.backlog(stream).invoke(b -> {
                    backlog.get(stream).set(b.entries());
                    oldestMillis.get(stream).set(b.oldest().toMillis());
                }));
    }

    private Uni<Void> deliverAll(OutboxDelivery delivery, List<OutboxStore.Entry> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<String>> outcomes = new ArrayList<>(batch.size());
        for (OutboxStore.Entry entry : batch) {
            outcomes.add(deliverOne(delivery, entry));
        }
        return Uni.join().all(outcomes).andCollectFailures()
                .map(ids -> ids.stream().filter(id -> id != null).toList())
                .flatMap(done -> store.settle(delivery.stream(), done).invoke(() -> delivered.addAndGet(done.size())));
    }

    /** The entry's id once the peer acknowledged it; null when it stays for a retry or went to the dead letters. */
    private Uni<String> deliverOne(OutboxDelivery delivery, OutboxStore.Entry entry) {
        if (entry.payload().length == 0) {
            return deadLetter(delivery, entry, "unreadable entry");
        }
        return Uni.createFrom().deferred(() -> delivery.deliver(entry.payload()))
                .ifNoItem().after(deliveryTimeout).fail()
                .replaceWith(entry.id())
                .invoke(() -> {
                    if (failing.remove(delivery.stream())) {
                        LOG.infof("outbox %s: its peer acknowledges again; waiting entries follow", delivery.stream());
                    }
                })
                .onFailure(delivery::rejected).recoverWithUni(e -> deadLetter(delivery, entry, e.getMessage()))
                .onFailure().invoke(e -> {
                    if (failing.add(delivery.stream())) {
                        LOG.warnf("outbox %s: its peer does not acknowledge (%s); entries wait and are offered again every pass",
                                delivery.stream(), reason(e));
                    }
                    LOG.debugf("outbox %s: entry %s not delivered yet: %s", delivery.stream(), entry.id(), reason(e));
                })
                .onFailure().recoverWithNull();
    }

    /**
     * What went wrong, without a message that could quote the payload: the class, or a gRPC status' code and the
     * peer's description (the suite's statuses say what the caller may be told, never what it sent).
     */
    private static String reason(Throwable e) {
        return e instanceof io.grpc.StatusRuntimeException s
                ? "gRPC " + s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : ": " + s.getStatus().getDescription())
                : e.getClass().getSimpleName();
    }

    /**
     * The entry moves to the dead letters, and alert-service hears of it (signal {@code outbox.dead_lettered}), unless
     * the entry was itself a signal: alert-service refusing signals cannot be told so by another one.
     */
    private Uni<String> deadLetter(OutboxDelivery delivery, OutboxStore.Entry entry, String reason) {
        LOG.errorf("outbox entry %s of %s rejected by its peer and moved to the dead letters: %s", entry.id(),
                delivery.stream(), reason);
        deadLettered.incrementAndGet();
        Uni<Void> moved = store.deadLetter(delivery.stream(), entry, reason);
        if (delivery.stream().equals(SignalDelivery.STREAM) || !deliveries.containsKey(SignalDelivery.STREAM)) {
            return moved.replaceWith((String) null);
        }
        return moved.call(() -> events.get().signal("outbox.dead_lettered", Severity.SEVERITY_CRITICAL,
                        "an outbox entry was rejected by its peer and kept as a dead letter",
                        Map.of("stream", delivery.stream(), "reason", truncate(String.valueOf(reason), 256)))
                        .onFailure().invoke(e -> LOG.warnf("the dead letter's signal could not be stored: %s", e.toString()))
                        .onFailure().recoverWithNull())
                .replaceWith((String) null);
    }

    /** Per stream: entries waiting and entries dead-lettered (readiness shows them). */
    public Uni<Map<String, OutboxStore.Backlog>> backlogs() {
        return Multi.createFrom().iterable(deliveries.keySet()).onItem()
                .transformToUniAndConcatenate(stream -> store.backlog(stream).map(b -> Map.entry(stream, b)))
                .collect().asMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    public Uni<Map<String, Long>> deadLetters() {
        return Multi.createFrom().iterable(deliveries.keySet()).onItem()
                .transformToUniAndConcatenate(stream -> store.deadLetters(stream).map(n -> Map.entry(stream, n)))
                .collect().asMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }
}
