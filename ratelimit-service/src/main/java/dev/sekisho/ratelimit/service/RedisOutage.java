package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SignalDelivery;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Tells operators that decisions are being made without Redis: a warning in the log and a signal to alert-service,
 * at most once per quiet period however many requests fail. The signal goes through the outbox like every other
 * one; but the outbox lives in the Redis that is gone, so while it cannot be stored the signal is also sent to
 * alert-service at once (best effort, the same signal id: alert-service counts it once) and kept here until the
 * outbox takes it, so that it is never lost.
 */
@ApplicationScoped
public class RedisOutage {

    private static final Logger LOG = Logger.getLogger(RedisOutage.class);
    private static final long QUIET_MILLIS = 30_000;
    private static final Duration DIRECT_TIMEOUT = Duration.ofSeconds(2);

    @Inject
    SecurityEvents events;

    @Inject
    SignalDelivery alerts;

    private final AtomicLong lastSignal = new AtomicLong();
    /** The latest outage signal the outbox has not taken yet. */
    private final AtomicReference<SecuritySignal> unstored = new AtomicReference<>();

    public void report(Throwable failure) {
        long now = System.currentTimeMillis();
        long last = lastSignal.get();
        if (now - last < QUIET_MILLIS || !lastSignal.compareAndSet(last, now)) {
            return;
        }
        String reason = failure.getClass().getSimpleName();
        LOG.warnf("Redis unavailable (%s): deciding by each policy's fail mode until it answers again", reason);
        SecuritySignal signal = events.signalOf("ratelimit.redis.unavailable", Severity.SEVERITY_CRITICAL,
                "ratelimit-service cannot reach Redis; policies apply their fail mode", Map.of("reason", reason));
        unstored.set(signal);
        store(signal).subscribe().with(stored -> { }, e -> alerts.deliver(signal.toByteArray())
                .ifNoItem().after(DIRECT_TIMEOUT).fail()
                .subscribe().with(ack -> { }, directFailure -> LOG.debugf("alert signal not delivered: %s", directFailure)));
    }

    /** Until the outbox has the signal: Redis answers again, and the signal is stored for delivery. */
    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> storeUnstored() {
        SecuritySignal signal = unstored.get();
        return signal == null ? Uni.createFrom().voidItem() : store(signal).onFailure().recoverWithNull();
    }

    private Uni<Void> store(SecuritySignal signal) {
        return events.signal(signal).ifNoItem().after(DIRECT_TIMEOUT).fail()
                .invoke(() -> unstored.compareAndSet(signal, null));
    }
}
