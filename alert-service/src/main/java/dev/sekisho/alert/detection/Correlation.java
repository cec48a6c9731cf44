package dev.sekisho.alert.detection;

import java.time.Duration;
import java.util.List;

/**
 * A Sigma correlation over the matches of other rules (or other correlations), per group of label values, within a
 * timespan:
 * <ul>
 * <li>{@code event_count}: at least {@code threshold} matches;
 * <li>{@code value_count}: at least {@code threshold} distinct values of {@code field} (password spraying: many
 * users failing from one address);
 * <li>{@code temporal_ordered}: the rules matched in their order (failures, then a success);
 * <li>{@code x-rate-anomaly} (Sekisho): the matches of one {@code timespan} bucket reach {@code factor} times the
 * group's learned baseline (a moving average of earlier buckets) and at least {@code threshold};
 * <li>{@code x-absence} (Sekisho): a group that matched before has not matched for {@code timespan} (a heartbeat).
 * </ul>
 * Once it fires for a group, a correlation stays quiet for that group for its timespan.
 */
public record Correlation(String id, String name, String title, String description, String severity, Type type, List<String> rules,
        List<String> groupBy, Duration timespan, long threshold, String field, double factor, int learningBuckets, boolean generate,
        List<PlaybookAction> playbook, String file) {

    public enum Type {
        EVENT_COUNT("event_count"), VALUE_COUNT("value_count"), TEMPORAL_ORDERED("temporal_ordered"),
        RATE_ANOMALY("x-rate-anomaly"), ABSENCE("x-absence");

        public final String sigma;

        Type(String sigma) {
            this.sigma = sigma;
        }

        static Type of(String text) {
            for (Type type : values()) {
                if (type.sigma.equals(text)) {
                    return type;
                }
            }
            return null;
        }
    }

    public String reference() {
        return name != null ? name : id;
    }
}
