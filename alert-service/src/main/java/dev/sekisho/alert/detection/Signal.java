package dev.sekisho.alert.detection;

import java.time.Instant;
import java.util.Map;

/**
 * A security signal as detection sees it, validated: who emitted it (from the caller's identity), what kind, when,
 * its labels. Rules name the signal's own fields ({@code kind}, {@code service}, {@code severity}, {@code summary}) or
 * its labels ({@code user}, or {@code labels.user} where a label's name is one of the fields').
 */
public record Signal(String id, String kind, String service, String severity, Instant occurredAt, Map<String, String> labels,
        String summary, String traceId, String auditEventId) {

    /** The value a rule's field names, or null when the signal has none. */
    public String field(String name) {
        return switch (name) {
            case "kind" -> kind;
            case "service" -> service;
            case "severity" -> severity;
            case "summary" -> summary;
            default -> labels.get(name.startsWith("labels.") ? name.substring("labels.".length()) : name);
        };
    }
}
