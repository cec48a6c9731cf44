package dev.sekisho.ratelimit.service;

import dev.sekisho.ratelimit.policy.Rule;

/** The answer of Sekisho's own check API for one named policy. */
public record CheckResult(
        String policy,
        boolean allowed,
        long limit,
        long remaining,
        long resetAfterMillis,
        long retryAfterMillis,
        boolean degraded,
        boolean shadowLimited,
        boolean blocked,
        long windowSeconds) {

    static CheckResult of(Rule policy, Decision decision) {
        Decision.Status status = decision.statuses().get(0);
        Rule rule = status.rule() != null ? status.rule() : policy;
        return new CheckResult(policy.name(), !decision.overLimit(), rule.limit(), status.remaining(), status.resetMillis(),
                status.retryAfterMillis(), status.outcome() == Decision.Outcome.DEGRADED,
                status.outcome() == Decision.Outcome.SHADOW_LIMITED, status.outcome() == Decision.Outcome.BLOCKED,
                Math.max(1, rule.window().toSeconds()));
    }
}
