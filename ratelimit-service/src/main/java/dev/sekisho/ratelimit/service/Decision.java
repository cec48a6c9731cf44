package dev.sekisho.ratelimit.service;

import java.util.List;

import dev.sekisho.ratelimit.policy.Rule;

/** The answer for a whole request (Envoy's overall code) and for each of its descriptors, in request order. */
public record Decision(boolean overLimit, boolean degraded, List<Status> statuses) {

    public enum Outcome {
        /** No rule matched, or the rule is unlimited. */
        NO_LIMIT,
        ALLOWED,
        LIMITED,
        /** Over its limit, but the rule (or the service) is in shadow mode: reported, allowed. */
        SHADOW_LIMITED,
        /** The identity is blocked. */
        BLOCKED,
        /** Redis did not answer in time and the rule fails open. */
        DEGRADED
    }

    /** One descriptor: the rule it matched (null: none), and what is left of it. */
    public record Status(Outcome outcome, Rule rule, long remaining, long resetMillis, long retryAfterMillis) {

        public boolean denies() {
            return outcome == Outcome.LIMITED || outcome == Outcome.BLOCKED;
        }

        static Status noLimit() {
            return new Status(Outcome.NO_LIMIT, null, 0, 0, 0);
        }
    }

    /** The status to advertise in RateLimit-* headers: the denying one, else the one with the least left. */
    public Status mostRestrictive() {
        Status chosen = null;
        for (Status status : statuses) {
            if (status.rule() == null || status.rule().unlimited()) {
                continue;
            }
            if (chosen == null || (status.denies() && !chosen.denies())
                    || (status.denies() == chosen.denies() && status.remaining() < chosen.remaining())) {
                chosen = status;
            }
        }
        return chosen;
    }
}
