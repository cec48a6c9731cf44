package dev.sekisho.audit.service;

import dev.sekisho.audit.repository.Pseudonyms;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.config.AuditSettings;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.api.AuditLimits;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;

/**
 * Turns an ingested event into a record to append, or refuses it with a reason; nothing is stored for a
 * refused event. Attributes whose names look secret are masked here, before anything is written.
 */
@ApplicationScoped
public class EventValidator {

    static final String MASK = "***";
    private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)+");
    private static final Pattern ATTRIBUTE = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    private static final String[] SECRET_WORDS = {"password", "passwd", "secret", "token", "authorization", "otp",
            "totp", "cookie", "api_key", "apikey", "private_key", "credential"};

    @Inject
    AuditSettings settings;

    @Inject
    Pseudonyms pseudonyms;

    /**
     * The record of an event as its emitter sent it, but for who emitted it: {@code service} is the caller's
     * verified identity, never what the payload claims.
     */
    public AuditEventEntity toRecord(AuditEvent event, String emittingService) {
        AuditEventEntity e = new AuditEventEntity();
        e.eventId = uuid(event.getEventId());
        if (!event.hasOccurredAt() || event.getOccurredAt().getSeconds() <= 0) {
            throw bad("occurred_at is required");
        }
        Instant occurred = Instant.ofEpochSecond(event.getOccurredAt().getSeconds(), event.getOccurredAt().getNanos());
        if (occurred.isAfter(Instant.now().plus(settings.maxClockSkew()))) {
            throw bad("occurred_at is further in the future than the allowed clock skew");
        }
        e.occurredAt = AuditEventEntity.truncateToMicros(occurred);
        if (!event.hasActor() || event.getActor().getType() == ActorType.ACTOR_TYPE_UNSPECIFIED
                || event.getActor().getType() == ActorType.UNRECOGNIZED) {
            throw bad("actor.type is required");
        }
        e.actorType = event.getActor().getType().name().substring("ACTOR_TYPE_".length()).toLowerCase(Locale.ROOT);
        // an anonymous actor (a refused refresh, a gateway denial without credentials) has no id, and its record counts
        e.actorId = text("actor.id", event.getActor().getId(), AuditLimits.ACTOR_ID,
                event.getActor().getType() != ActorType.ACTOR_TYPE_ANONYMOUS);
        e.actorIp = pseudonyms.of(text("actor.ip", event.getActor().getIp(), AuditLimits.ACTOR_IP, false));
        e.actorUserAgent = text("actor.user_agent", event.getActor().getUserAgent(), AuditLimits.ACTOR_USER_AGENT, false);
        e.actorClientId = text("actor.client_id", event.getActor().getClientId(), AuditLimits.ACTOR_CLIENT_ID, false);
        e.action = text("action", event.getAction(), AuditLimits.ACTION, true);
        if (!ACTION.matcher(e.action).matches()) {
            throw bad("action must be a dotted lower-case name such as auth.login.failed");
        }
        e.resourceType = text("resource.type", event.getResource().getType(), AuditLimits.RESOURCE_TYPE, false);
        e.resourceId = text("resource.id", event.getResource().getId(), AuditLimits.RESOURCE_ID, false);
        if (event.getOutcome() == Outcome.OUTCOME_UNSPECIFIED || event.getOutcome() == Outcome.UNRECOGNIZED) {
            throw bad("outcome is required");
        }
        e.outcome = event.getOutcome().name().substring("OUTCOME_".length()).toLowerCase(Locale.ROOT);
        e.reason = text("reason", event.getReason(), AuditLimits.REASON, false);
        e.service = text("service", emittingService, AuditLimits.SERVICE, true);
        e.traceId = text("trace_id", event.getTraceId(), AuditLimits.TRACE_ID, false);
        e.attributes = attributes(event.getAttributesMap());
        return e;
    }

    private Map<String, String> attributes(Map<String, String> raw) {
        if (raw.size() > AuditLimits.ATTRIBUTES) {
            throw bad("at most " + AuditLimits.ATTRIBUTES + " attributes");
        }
        long size = 0;
        Map<String, String> attributes = new HashMap<>();
        for (var entry : raw.entrySet()) {
            if (!ATTRIBUTE.matcher(entry.getKey()).matches()) {
                throw bad("attribute names are 1 to 128 letters, digits, '_', '.', ':' or '-'");
            }
            size += entry.getKey().length() + entry.getValue().length();
            if (entry.getValue().indexOf('\u0000') >= 0) {
                throw bad("attribute " + entry.getKey() + " contains a NUL character"); // PostgreSQL text cannot hold one
            }
            if (size > settings.maxAttributesSize()) {
                throw bad("attributes are larger than " + settings.maxAttributesSize() + " characters in all");
            }
            String value = looksSecret(entry.getKey()) ? MASK
                    : pseudonyms.appliesToAttribute(entry.getKey()) ? pseudonyms.of(entry.getValue()) : entry.getValue();
            attributes.put(entry.getKey(), value);
        }
        return attributes;
    }

    static boolean looksSecret(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String word : SECRET_WORDS) {
            if (lower.contains(word)) {
                return true;
            }
        }
        return false;
    }

    private static UUID uuid(String text) {
        if (text == null || text.isEmpty()) {
            throw bad("event_id is required");
        }
        try {
            UUID id = UUID.fromString(text);
            if (!id.toString().equals(text.toLowerCase(Locale.ROOT))) {
                throw bad("event_id must be a UUID");
            }
            return id;
        } catch (IllegalArgumentException e) {
            throw bad("event_id must be a UUID");
        }
    }

    private static String text(String field, String value, int max, boolean required) {
        if (required && (value == null || value.isBlank())) {
            throw bad(field + " is required");
        }
        if (value != null && value.length() > max) {
            throw bad(field + " is longer than " + max + " characters");
        }
        if (value != null && value.indexOf('\u0000') >= 0) {
            throw bad(field + " contains a NUL character"); // PostgreSQL text cannot hold one
        }
        return value == null ? "" : value;
    }

    private static ProblemException bad(String detail) {
        return ProblemException.badRequest(detail);
    }
}
