package dev.sekisho.audit.service;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.google.protobuf.Timestamp;

import dev.sekisho.audit.v1.Actor;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.audit.v1.Resource;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/** Every read of the audit log is itself recorded in it, before the reader gets the answer. */
@ApplicationScoped
public class ReadAudit {

    @Inject
    EventValidator validator;

    @Inject
    AuditAppender appender;

    public <T> Uni<T> recorded(SecurityIdentity reader, String what, Map<String, String> details, Uni<T> read) {
        return read.call(answer -> {
            Instant now = Instant.now();
            AuditEvent.Builder event = AuditEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                    .setActor(Actor.newBuilder()
                            .setType(reader.hasRole("service") ? ActorType.ACTOR_TYPE_SERVICE : ActorType.ACTOR_TYPE_USER)
                            .setId(reader.getPrincipal().getName()))
                    .setAction("audit.read")
                    .setResource(Resource.newBuilder().setType("audit-log").setId(what))
                    .setOutcome(Outcome.OUTCOME_SUCCESS)
                    .setService("audit-service");
            details.forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    event.putAttributes(k, v.length() > 256 ? v.substring(0, 256) : v);
                }
            });
            return appender.append(validator.toRecord(event.build()));
        });
    }
}
