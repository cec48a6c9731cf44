package dev.sekisho.peers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The transactional outbox of a service whose store is Redis: {@link #put} appends an entry to a Redis stream
 * (one XADD, durable as Redis is) and the caller answers only after it returned; a relay then hands entries to
 * their {@link OutboxDelivery} and removes each one only when the peer acknowledged it. Instances share the work
 * through one consumer group; entries left pending by an instance that died are claimed by another after
 * {@code sekisho.outbox.claim-after}. A peer that is down only delays delivery: nothing is dropped.
 */
@ApplicationScoped
public class Outbox {

    static final String GROUP = "relay";
    private static final String FIELD = "p";
    private static final Logger LOG = Logger.getLogger(Outbox.class);

    private final String consumer = "relay-" + UUID.randomUUID();
    private final Map<String, OutboxDelivery> deliveries;
    private final ReactiveStreamCommands<String, String, String> streams;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Map<String, AtomicLong> backlog;

    @ConfigProperty(name = "sekisho.outbox.batch-size")
    int batchSize;

    @ConfigProperty(name = "sekisho.outbox.delivery-timeout")
    Duration deliveryTimeout;

    @ConfigProperty(name = "sekisho.outbox.claim-after")
    Duration claimAfter;

    @ConfigProperty(name = "quarkus.application.name")
    String service;

    private volatile boolean groupsReady;
    private final Timer writes;

    @Inject
    public Outbox(ReactiveRedisDataSource redis, Instance<OutboxDelivery> deliveries, MeterRegistry metrics) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.deliveries = deliveries.stream().collect(Collectors.toMap(OutboxDelivery::stream, Function.identity()));
        this.backlog = this.deliveries.keySet().stream().collect(Collectors.toMap(Function.identity(), s -> new AtomicLong()));
        backlog.forEach((stream, size) -> Gauge.builder("sekisho_outbox_backlog", size, AtomicLong::get)
                .tag("stream", stream).description("Entries waiting for their peer's acknowledgement").register(metrics));
        FunctionCounter.builder("sekisho_outbox_delivered", delivered, AtomicLong::get)
                .description("Entries their peer acknowledged").register(metrics);
        FunctionCounter.builder("sekisho_outbox_dead_lettered", deadLettered, AtomicLong::get)
                .description("Entries their peer rejected, moved to the dead-letter stream").register(metrics);
        this.writes = Timer.builder("sekisho_outbox_write")
                .description("Time to store an entry (the answer to its caller waits for it)").register(metrics);
    }

    /** Stores an entry for delivery; completes once Redis has it. Fails (the caller must not answer OK) otherwise. */
    public Uni<String> put(String stream, byte[] payload) {
        if (!deliveries.containsKey(stream)) {
            return Uni.createFrom().failure(new IllegalArgumentException("no delivery for outbox stream " + stream));
        }
        Timer.Sample sample = Timer.start();
        return streams.xadd(key(stream), Map.of(FIELD, Base64.getEncoder().encodeToString(payload)))
                .onTermination().invoke(() -> sample.stop(writes));
    }

    /** Entries of a stream not yet acknowledged by the peer (for readiness and tests). */
    public Uni<Long> pending(String stream) {
        return streams.xlen(key(stream));
    }

    /** Up to {@code max} entries still waiting in a stream, oldest first, as they were put (for operators and tests). */
    public Uni<List<byte[]>> waiting(String stream, int max) {
        return streams.xrange(key(stream), StreamRange.of("-", "+"), max)
                .map(entries -> entries.stream().map(entry -> Base64.getDecoder().decode(entry.payload().get(FIELD))).toList());
    }

    /** One relay pass over every stream: this instance's unacknowledged entries first, then new ones. */
    @Scheduled(every = "${sekisho.outbox.poll-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> relay() {
        return ensureGroups()
                .chain(() -> Multi.createFrom().iterable(deliveries.values()).onItem()
                        .transformToUniAndConcatenate(this::relay).collect().last())
                .onFailure().invoke(e -> LOG.debugf("outbox relay pass failed: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Void> relay(OutboxDelivery delivery) {
        String key = key(delivery.stream());
        XReadGroupArgs args = new XReadGroupArgs().count(batchSize);
        return streams.xreadgroup(GROUP, consumer, key, "0", args)
                .flatMap(mine -> !mine.isEmpty() ? Uni.createFrom().item(mine)
                        : streams.xautoclaim(key, GROUP, consumer, claimAfter, "0-0", batchSize)
                                .map(claimed -> claimed.getMessages())
                                .flatMap(claimed -> !claimed.isEmpty() ? Uni.createFrom().item(claimed)
                                        : streams.xreadgroup(GROUP, consumer, key, ">", args)))
                .flatMap(batch -> deliverAll(delivery, key, batch))
                .call(() -> streams.xlen(key).invoke(size -> backlog.get(delivery.stream()).set(size)));
    }

    private Uni<Void> deliverAll(OutboxDelivery delivery, String key, List<StreamMessage<String, String, String>> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<String>> outcomes = new ArrayList<>(batch.size());
        for (StreamMessage<String, String, String> message : batch) {
            outcomes.add(deliverOne(delivery, key, message));
        }
        return Uni.join().all(outcomes).andCollectFailures()
                .map(ids -> ids.stream().filter(id -> id != null).toArray(String[]::new))
                .flatMap(done -> done.length == 0 ? Uni.createFrom().voidItem()
                        : streams.xack(key, GROUP, done).chain(() -> streams.xdel(key, done))
                                .invoke(n -> delivered.addAndGet(n)).replaceWithVoid());
    }

    /** The entry id once it is settled (delivered or dead-lettered), null when it stays for a retry. */
    private Uni<String> deliverOne(OutboxDelivery delivery, String key, StreamMessage<String, String, String> message) {
        byte[] payload;
        try {
            payload = Base64.getDecoder().decode(message.payload().getOrDefault(FIELD, ""));
        } catch (IllegalArgumentException e) {
            return deadLetter(key, message, "unreadable entry");
        }
        return Uni.createFrom().deferred(() -> delivery.deliver(payload))
                .ifNoItem().after(deliveryTimeout).fail()
                .replaceWith(message.id())
                .onFailure(delivery::rejected).recoverWithUni(e -> deadLetter(key, message, e.getMessage()))
                .onFailure().invoke(e -> LOG.debugf("outbox %s: entry %s not delivered yet: %s", delivery.stream(),
                        message.id(), e.getClass().getSimpleName()))
                .onFailure().recoverWithNull();
    }

    private Uni<String> deadLetter(String key, StreamMessage<String, String, String> message, String reason) {
        LOG.errorf("outbox entry %s of %s rejected by its peer and moved to %s:dead: %s", message.id(), key, key, reason);
        deadLettered.incrementAndGet();
        return streams.xadd(key + ":dead", Map.of(FIELD, message.payload().getOrDefault(FIELD, ""), "reason",
                String.valueOf(reason))).replaceWith(message.id());
    }

    private Uni<Void> ensureGroups() {
        if (groupsReady) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(deliveries.keySet()).onItem()
                .transformToUniAndConcatenate(stream -> streams.xgroupCreate(key(stream), GROUP, "0", new XGroupCreateArgs().mkstream())
                        .onFailure(e -> String.valueOf(e.getMessage()).contains("BUSYGROUP")).recoverWithNull())
                .collect().last()
                .invoke(() -> groupsReady = true)
                .replaceWithVoid();
    }

    /** One stream per producing service and kind, e.g. {@code sekisho:outbox:auth-service:audit}. */
    String key(String stream) {
        return "sekisho:outbox:" + service + ":" + stream;
    }
}
