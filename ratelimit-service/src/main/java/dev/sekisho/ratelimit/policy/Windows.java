package dev.sekisho.ratelimit.policy;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Window lengths: Envoy's units and Sekisho's free-form {@code per: 90s | 5m | 2h | 1d | 1w}. */
public final class Windows {

    private static final Pattern PER = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d|w)");

    private Windows() {
    }

    /** Envoy's units, with the lengths Envoy's reference service uses (a month is 30 days, a year 365). */
    public static Duration unit(String unit) {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "second" -> Duration.ofSeconds(1);
            case "minute" -> Duration.ofMinutes(1);
            case "hour" -> Duration.ofHours(1);
            case "day" -> Duration.ofDays(1);
            case "week" -> Duration.ofDays(7);
            case "month" -> Duration.ofDays(30);
            case "year" -> Duration.ofDays(365);
            default -> throw new IllegalArgumentException(
                    "unknown unit '" + unit + "' (second, minute, hour, day, week, month, year)");
        };
    }

    public static Duration per(String text) {
        Matcher m = PER.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("per must look like 500ms, 90s, 5m, 2h, 1d or 1w, not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration window = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
        if (window.toMillis() < 1 || window.compareTo(Duration.ofDays(366)) > 0) {
            throw new IllegalArgumentException("per must be between 1ms and 366 days");
        }
        return window;
    }

    /** The Envoy unit whose length equals the window, for Envoy responses; UNKNOWN-worthy windows give null. */
    public static String envoyUnit(Duration window) {
        for (String unit : new String[] {"second", "minute", "hour", "day", "week", "month", "year"}) {
            if (unit(unit).equals(window)) {
                return unit;
            }
        }
        return null;
    }
}
