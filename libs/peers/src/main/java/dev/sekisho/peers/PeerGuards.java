package dev.sekisho.peers;

import java.time.temporal.ChronoUnit;

import io.smallrye.faulttolerance.api.Guard;

/**
 * Builds the SmallRye Fault Tolerance guard of a {@link CallPolicy}: timeout, circuit breaker and bulkhead, in that
 * order from the caller's side. A client declares one CDI bean per policy,
 * {@code @Produces @Singleton @Identifier("ratelimit-login-budget") Guard loginBudget() { return PeerGuards.of(...); }}
 * (a singleton: the guard must not sit behind a client proxy), and
 * the method it guards says so with {@code @ApplyGuard("ratelimit-login-budget")}. The guarded calls are
 * non-blocking (they return Uni), so the guard runs them on the caller's thread rather than offloading them.
 */
public final class PeerGuards {

    private PeerGuards() {
    }

    public static Guard of(String name, CallPolicy policy, Class<? extends Throwable>... notFailures) {
        return Guard.create()
                .withDescription(name)
                .withTimeout().duration(policy.timeout().toMillis(), ChronoUnit.MILLIS).done()
                .withCircuitBreaker()
                        .name(name)
                        .requestVolumeThreshold(policy.breakerRequests())
                        .failureRatio(policy.breakerFailureRatio())
                        .delay(policy.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                        .skipOn(java.util.List.of(notFailures))
                        .done()
                .withBulkhead().limit(policy.maxConcurrent()).queueSize(policy.maxQueued()).done()
                .withThreadOffload(false)
                .build();
    }
}
