package dev.sekisho.api;

import java.util.Map;

import dev.sekisho.audit.v1.AuditEvent;

/**
 * What audit-service stores of an event, field by field: the one place these limits are written. audit-service
 * refuses an event past them (INVALID_ARGUMENT, and the producer's outbox would dead-letter it), so every producer
 * checks its input against them where it enters, before acting, and {@link #violation} again before it stores an
 * event: an action that could not be recorded does not happen.
 */
public final class AuditLimits {

    public static final int ACTOR_ID = 256;
    public static final int ACTOR_IP = 64;
    public static final int ACTOR_USER_AGENT = 512;
    public static final int ACTOR_CLIENT_ID = 256;
    public static final int ACTION = 128;
    public static final int RESOURCE_TYPE = 128;
    public static final int RESOURCE_ID = 512;
    public static final int REASON = 1024;
    public static final int SERVICE = 64;
    public static final int TRACE_ID = 64;
    public static final int SPAN_ID = 16;
    public static final int ATTRIBUTES = 64;
    public static final int ATTRIBUTE_NAME = 128;
    /** All attribute names and values together, in characters (audit-service's default; it may allow more). */
    public static final int ATTRIBUTES_SIZE = 16384;

    private AuditLimits() {
    }

    /** The first field of the event audit-service would refuse for its length or content, or null when it fits. */
    public static String violation(AuditEvent event) {
        String field = tooLong("actor.id", event.getActor().getId(), ACTOR_ID);
        field = field != null ? field : tooLong("actor.ip", event.getActor().getIp(), ACTOR_IP);
        field = field != null ? field : tooLong("actor.user_agent", event.getActor().getUserAgent(), ACTOR_USER_AGENT);
        field = field != null ? field : tooLong("actor.client_id", event.getActor().getClientId(), ACTOR_CLIENT_ID);
        field = field != null ? field : tooLong("action", event.getAction(), ACTION);
        field = field != null ? field : tooLong("resource.type", event.getResource().getType(), RESOURCE_TYPE);
        field = field != null ? field : tooLong("resource.id", event.getResource().getId(), RESOURCE_ID);
        field = field != null ? field : tooLong("reason", event.getReason(), REASON);
        field = field != null ? field : tooLong("service", event.getService(), SERVICE);
        field = field != null ? field : tooLong("trace_id", event.getTraceId(), TRACE_ID);
        field = field != null ? field : tooLong("span_id", event.getSpanId(), SPAN_ID);
        if (field != null) {
            return field;
        }
        Map<String, String> attributes = event.getAttributesMap();
        if (attributes.size() > ATTRIBUTES) {
            return "attributes (more than " + ATTRIBUTES + ")";
        }
        long size = 0;
        for (var attribute : attributes.entrySet()) {
            if (attribute.getKey().isEmpty() || attribute.getKey().length() > ATTRIBUTE_NAME) {
                return "an attribute name";
            }
            if (attribute.getValue().indexOf('\u0000') >= 0) {
                return "attribute " + attribute.getKey();
            }
            size += attribute.getKey().length() + attribute.getValue().length();
        }
        return size > ATTRIBUTES_SIZE ? "attributes (larger than " + ATTRIBUTES_SIZE + " characters in all)" : null;
    }

    /** The field's name when the value is longer than {@code max} or holds a NUL (PostgreSQL text cannot), else null. */
    private static String tooLong(String field, String value, int max) {
        return value.length() > max || value.indexOf('\u0000') >= 0 ? field : null;
    }
}
