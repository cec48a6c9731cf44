package dev.sekisho.api;

import java.util.Map;
import java.util.Set;

/**
 * The signal types Sekisho's services emit, and the labels each must carry: alert-service refuses a signal of a type
 * not listed here (or added by its configuration, for tools) and one without its required labels, so that a rule
 * that groups by {@code ip} never meets a failed login without one.
 */
public final class SignalTypes {

    /** Type → labels it must carry. */
    public static final Map<String, Set<String>> KNOWN = Map.ofEntries(
            Map.entry("auth.login.failed", Set.of("user", "ip")),
            Map.entry("auth.login.succeeded", Set.of("user", "ip")),
            Map.entry("auth.login.limited", Set.of("user", "ip")),
            Map.entry("auth.refresh.limited", Set.of("ip")),
            Map.entry("auth.service-token.limited", Set.of("client", "ip")),
            Map.entry("auth.user.disabled", Set.of("user")),
            Map.entry("auth.check.denied.burst", Set.of()),
            Map.entry("ratelimit.limited", Set.of()),
            Map.entry("ratelimit.redis.unavailable", Set.of()),
            Map.entry("secret.denied", Set.of()),
            Map.entry("secret.tampered", Set.of()),
            Map.entry("secret.stale", Set.of("path")),
            Map.entry("secret.rotation_due", Set.of("path")),
            Map.entry("secret.expiring", Set.of("path")),
            Map.entry("secret.expired", Set.of("path")),
            Map.entry("apikey.revoked", Set.of("key_id")),
            Map.entry("apikey.refused", Set.of("key_id")),
            Map.entry("apikey.unused", Set.of("key_id")),
            Map.entry("apikey.expiring", Set.of("key_id")),
            Map.entry("apikey.expired", Set.of("key_id")),
            Map.entry("audit.chain.broken", Set.of()),
            Map.entry("outbox.dead_lettered", Set.of("stream")),
            Map.entry("policy.changed", Set.of()),
            Map.entry("integration.failed", Set.of()),
            Map.entry("integration.proposed", Set.of("integration")),
            Map.entry("integration.approved", Set.of("integration")),
            Map.entry("integration.activated", Set.of("integration")),
            Map.entry("integration.suspended", Set.of("integration")),
            Map.entry("integration.resumed", Set.of("integration")),
            Map.entry("integration.retired", Set.of("integration")),
            Map.entry("integration.owner.changed", Set.of("integration")),
            Map.entry("auth.permission.changed", Set.of("change", "resource_type", "actor")),
            Map.entry("review.started", Set.of("review")),
            Map.entry("review.closed", Set.of("review")),
            Map.entry("review.user.flagged", Set.of("review", "user")),
            Map.entry("service.heartbeat", Set.of()));

    private SignalTypes() {
    }
}
