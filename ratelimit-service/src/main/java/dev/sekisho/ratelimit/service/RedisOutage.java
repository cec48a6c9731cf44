package dev.sekisho.ratelimit.service;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.google.protobuf.Timestamp;

import dev.sekisho.alert.v1.MutinyAlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.peers.ServiceToken;
import io.quarkus.grpc.GrpcClient;

/**
 * Tells operators that decisions are being made without Redis: a warning in the log and a signal to
 * alert-service, at most once per quiet period however many requests fail.
 */
@ApplicationScoped
public class RedisOutage {

    private static final Logger LOG = Logger.getLogger(RedisOutage.class);
    private static final long QUIET_MILLIS = 30_000;

    @GrpcClient("alerts")
    MutinyAlertsGrpc.MutinyAlertsStub alerts;

    @Inject
    ServiceToken serviceToken;

    private final AtomicLong lastSignal = new AtomicLong();

    public void report(Throwable failure) {
        long now = System.currentTimeMillis();
        long last = lastSignal.get();
        if (now - last < QUIET_MILLIS || !lastSignal.compareAndSet(last, now)) {
            return;
        }
        String reason = failure.getClass().getSimpleName();
        LOG.warnf("Redis unavailable (%s): deciding by each policy's fail mode until it answers again", reason);
        SecuritySignal signal = SecuritySignal.newBuilder()
                .setSignalId(UUID.randomUUID().toString())
                .setKind("ratelimit.redis.unavailable")
                .setSeverity(Severity.SEVERITY_CRITICAL)
                .setService("ratelimit-service")
                .setOccurredAt(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond()))
                .putLabels("reason", reason)
                .setSummary("ratelimit-service cannot reach Redis; policies apply their fail mode")
                .build();
        // straight to alert-service, not through the outbox: the outbox lives in the Redis that is gone
        alerts.withCallCredentials(serviceToken.credentials()).signal(signal)
                .ifNoItem().after(java.time.Duration.ofSeconds(2)).fail()
                .subscribe().with(ack -> { }, e -> LOG.debugf("alert signal not delivered: %s", e.getMessage()));
    }
}
