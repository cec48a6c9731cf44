package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.ratelimit.policy.Rule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * {@code sekisho_ratelimit_decisions_total{policy, outcome}} per descriptor, and
 * {@code sekisho_ratelimit_decision_seconds} per request (a histogram, for p50/p99 in Prometheus).
 * Policy labels come from the loaded policies, so their number is bounded by the configuration.
 */
@ApplicationScoped
public class RateLimitMetrics {

    private final MeterRegistry registry;
    private final Timer latency;
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    @Inject
    public RateLimitMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.latency = Timer.builder("sekisho.ratelimit.decision")
                .description("Time to decide one rate-limit request")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
    }

    public void count(Decision.Status status) {
        // label values come from the policy file only; their number is bounded by it
        String policy = status.rule() == null ? Rule.UNMATCHED : status.rule().label();
        String outcome = status.outcome().name().toLowerCase(java.util.Locale.ROOT);
        counters.computeIfAbsent(policy + '\u0000' + outcome, k -> Counter.builder("sekisho.ratelimit.decisions")
                .description("Rate-limit decisions per descriptor")
                .tag("policy", policy)
                .tag("outcome", outcome)
                .register(registry)).increment();
    }

    public void count(Rule rule, Decision.Outcome outcome) {
        count(new Decision.Status(outcome, rule, 0, 0, 0));
    }

    public void latency(long startNanos) {
        latency.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
