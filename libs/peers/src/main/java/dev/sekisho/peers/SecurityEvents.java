package dev.sekisho.peers;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.google.protobuf.Timestamp;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.api.AuditLimits;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.audit.v1.Actor;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.audit.v1.Resource;
import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.common.tracing.TraceOrigin;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * What a service tells audit-service and alert-service. Each event is stored in the outbox before the caller gets
 * an answer, so an action is never answered without its audit record being safe; {@link AuditDelivery} and
 * {@link SignalDelivery} hand them on. Events carry who, what and why, never a password, code, key or token.
 */
@ApplicationScoped
public class SecurityEvents {

    @Inject
    Outbox outbox;

    /** The emitting service, as audit-service records it. */
    @ConfigProperty(name = "quarkus.application.name")
    String service;

    /** Who acted: a person (by username) or a machine client, with where they came from. */
    public record Who(ActorType type, String id, String ip, String userAgent, String clientId) {

        public static Who user(String username, String ip, String userAgent) {
            return new Who(ActorType.ACTOR_TYPE_USER, username, ip, userAgent, "");
        }

        public static Who client(String clientId, String ip, String userAgent) {
            return new Who(ActorType.ACTOR_TYPE_SERVICE, clientId, ip, userAgent, clientId);
        }

        public static Who anonymous(String ip, String userAgent) {
            return new Who(ActorType.ACTOR_TYPE_ANONYMOUS, "", ip, userAgent, "");
        }

        /** The caller of a verified token: a machine by its client id, a person by username. */
        public static Who of(VerifiedToken token, String ip, String userAgent) {
            if (token == null) {
                return anonymous(ip, userAgent);
            }
            return token.isServiceAccount() ? client(token.clientId(), ip, userAgent)
                    : new Who(ActorType.ACTOR_TYPE_USER, token.actorId(), ip, userAgent, token.clientId() == null ? "" : token.clientId());
        }

        /**
         * Who acted, from the caller's verified identity: the one way every service names its actors (never from
         * a payload, never from raw claims).
         */
        public static Who of(SecurityIdentity identity, String ip, String userAgent) {
            return of(VerifiedToken.of(identity), ip, userAgent);
        }
    }

    public Uni<Void> audit(String action, Who who, String resourceType, String resourceId, Outcome outcome, String reason,
            Map<String, String> attributes) {
        TraceOrigin origin = TraceOrigin.current();
        Actor.Builder actor = Actor.newBuilder().setType(who.type()).setId(nz(who.id())).setIp(nz(who.ip()))
                .setUserAgent(truncate(nz(who.userAgent()), 512)).setClientId(nz(who.clientId()));
        AuditEvent event = AuditEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setOccurredAt(now())
                .setActor(actor)
                .setAction(action)
                .setResource(Resource.newBuilder().setType(resourceType).setId(nz(resourceId)))
                .setOutcome(outcome)
                .setReason(nz(reason))
                .setService(service)
                .setTraceId(origin.traceId())
                .setSpanId(origin.spanId())
                .putAllAttributes(attributes)
                .build();
        String violation = AuditLimits.violation(event);
        if (violation != null) {
            // refused here, before the caller answers, rather than dead-lettered by audit-service after it acted
            return Uni.createFrom().failure(ProblemException.badRequest(
                    "This cannot be done: its audit record would not fit (" + violation + " is too long or not text)."));
        }
        return outbox.put(AuditDelivery.STREAM, event.toByteArray());
    }

    public Uni<Void> signal(String kind, Severity severity, String summary, Map<String, String> labels) {
        return signal(signalOf(kind, severity, summary, labels));
    }

    /** Stores a signal built with {@link #signalOf} for delivery to alert-service. */
    public Uni<Void> signal(SecuritySignal signal) {
        return outbox.put(SignalDelivery.STREAM, signal.toByteArray());
    }

    /** A signal with its own id, from this service, now, in the current trace. */
    public SecuritySignal signalOf(String kind, Severity severity, String summary, Map<String, String> labels) {
        TraceOrigin origin = TraceOrigin.current();
        return SecuritySignal.newBuilder()
                .setSignalId(UUID.randomUUID().toString())
                .setKind(kind)
                .setSeverity(severity)
                .setService(service)
                .setOccurredAt(now())
                .putAllLabels(labels)
                .setSummary(summary)
                .setTraceId(origin.traceId())
                .setSpanId(origin.spanId())
                .build();
    }

    private static Timestamp now() {
        Instant now = Instant.now();
        return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }
}
