package dev.sekisho.ratelimit.policy;

import java.util.Locale;

/** How a rule counts. Each is one atomic Lua script in Redis (see resources/lua). */
public enum Algorithm {

    /** Envoy's: a counter per aligned window; exact, bursty at window edges. */
    FIXED_WINDOW,
    /** A weighted two-window counter: smooth, at most the limit per aligned window. */
    SLIDING_WINDOW,
    /** GCRA: a token bucket of {@code burst} refilled at limit/window; exact, no stored counters to expire. */
    TOKEN_BUCKET;

    public static Algorithm parse(String text) {
        if (text == null) {
            return FIXED_WINDOW;
        }
        return switch (text.toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "fixed_window" -> FIXED_WINDOW;
            case "sliding_window" -> SLIDING_WINDOW;
            case "token_bucket", "gcra" -> TOKEN_BUCKET;
            default -> throw new IllegalArgumentException(
                    "unknown algorithm '" + text + "' (fixed_window, sliding_window, token_bucket)");
        };
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
