package dev.sekisho.ratelimit.policy;

import java.util.Locale;

/** What a rule decides when Redis cannot be asked in time. */
public enum FailMode {

    /** Allow, and mark the answer degraded: availability first (the default, as in Envoy). */
    OPEN,
    /** Deny with UNAVAILABLE / 503: protection first (login budgets, expensive backends). */
    CLOSED;

    public static FailMode parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "open" -> OPEN;
            case "closed" -> CLOSED;
            default -> throw new IllegalArgumentException("unknown fail_mode '" + text + "' (open, closed)");
        };
    }
}
