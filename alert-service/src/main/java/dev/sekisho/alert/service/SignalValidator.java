package dev.sekisho.alert.service;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.detection.Signal;
import dev.sekisho.api.SignalTypes;
import dev.sekisho.common.problem.ProblemException;

/**
 * What alert-service accepts as a signal, over gRPC and REST alike: a known type with its required labels, bounded
 * labels and text, a time within the clock's reach. A refusal names the field, never echoes its value. The emitting
 * service is not read from the signal: it is the caller's identity.
 */
@ApplicationScoped
public class SignalValidator {

    static final int MAX_LABELS = 32;
    static final int MAX_LABEL_VALUE = 256;
    static final int MAX_SUMMARY = 512;
    static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]{0,31}(\\.[a-z0-9_-]{1,32}){1,4}");
    static final Pattern LABEL = Pattern.compile("[a-z_][a-z0-9_.-]{0,63}");
    static final Pattern TRACE = Pattern.compile("[0-9a-f]{32}");
    static final Set<String> SEVERITIES = Set.of("info", "warning", "critical");

    @Inject
    AlertSettings settings;

    /** A signal's parts as a transport read them. */
    public record Raw(String id, String kind, String severity, Instant occurredAt, Map<String, String> labels, String summary,
            String traceId, String auditEventId) {
    }

    public Signal validate(Raw raw, String emitter) {
        String id = nz(raw.id()).toLowerCase(java.util.Locale.ROOT);
        if (!UUID.matcher(id).matches()) {
            throw bad("signal_id must be a UUID");
        }
        String kind = nz(raw.kind());
        if (!KIND.matcher(kind).matches()) {
            throw bad("kind must be a dotted lower-case name such as auth.login.failed");
        }
        Set<String> required = SignalTypes.KNOWN.get(kind);
        if (required == null) {
            if (settings.extraSignalTypes().map(extra -> !extra.contains(kind)).orElse(true)) {
                throw bad("kind is not a known signal type (Sekisho's, or one in sekisho.alert.extra-signal-types)");
            }
            required = Set.of();
        }
        String severity = raw.severity() == null || raw.severity().isEmpty() ? "info" : raw.severity();
        if (!SEVERITIES.contains(severity)) {
            throw bad("severity must be info, warning or critical");
        }
        Map<String, String> labels = raw.labels() == null ? Map.of() : raw.labels();
        if (labels.size() > MAX_LABELS) {
            throw bad("at most " + MAX_LABELS + " labels");
        }
        Map<String, String> clean = new HashMap<>(labels.size() * 2);
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (label.getKey() == null || !LABEL.matcher(label.getKey()).matches()) {
                throw bad("label names are 1 to 64 lower-case letters, digits, '_', '.' or '-'");
            }
            String value = nz(label.getValue());
            if (value.length() > MAX_LABEL_VALUE || !printable(value)) {
                throw bad("label " + label.getKey() + " must be at most " + MAX_LABEL_VALUE + " printable characters");
            }
            clean.put(label.getKey(), value);
        }
        Set<String> missing = new HashSet<>(required);
        missing.removeIf(clean::containsKey);
        if (!missing.isEmpty()) {
            throw bad(kind + " needs the labels " + String.join(", ", new java.util.TreeSet<>(missing)));
        }
        String summary = nz(raw.summary());
        if (summary.length() > MAX_SUMMARY || !printable(summary)) {
            throw bad("summary must be at most " + MAX_SUMMARY + " printable characters");
        }
        String trace = nz(raw.traceId());
        if (!trace.isEmpty() && !TRACE.matcher(trace).matches()) {
            throw bad("trace_id must be 32 lower-case hex digits, or empty");
        }
        String audit = nz(raw.auditEventId());
        if (!audit.isEmpty() && !UUID.matcher(audit).matches()) {
            throw bad("audit_event_id must be a UUID, or empty");
        }
        Instant now = Instant.now();
        Instant at = raw.occurredAt() == null ? now : raw.occurredAt();
        if (at.isAfter(now.plus(settings.maxClockSkew()))) {
            throw bad("occurred_at is in the future");
        }
        if (at.isBefore(now.minus(settings.maxSignalAge()))) {
            throw bad("occurred_at is older than " + settings.maxSignalAge().toDays() + " days");
        }
        return new Signal(id, kind, emitter, severity, at, Map.copyOf(clean), summary, trace, audit);
    }

    private static boolean printable(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }

    private static ProblemException bad(String reason) {
        return ProblemException.badRequest("Signal refused: " + reason + ".");
    }
}
