package dev.sekisho.audit.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.tracing.TraceOrigin;
import dev.sekisho.peers.AuditDelivery;
import dev.sekisho.peers.ProtoDelivery;
import io.smallrye.mutiny.Uni;

/**
 * audit-service's own events (every read of the log) leave through the outbox like every other service's, and are
 * appended to the chain here rather than sent to itself over gRPC. Idempotent on the event id, as ingest is.
 */
@ApplicationScoped
public class LocalAuditDelivery extends ProtoDelivery<AuditEvent> {

    @Inject
    AuditIngest ingest;

    public LocalAuditDelivery() {
        super(AuditDelivery.STREAM, AuditEvent.parser(), e -> new TraceOrigin(e.getTraceId(), e.getSpanId()));
    }

    @Override
    protected Uni<?> send(AuditEvent event) {
        return ingest.record(event, ReadAudit.SERVICE);
    }

    /** An event the validator refuses will never be appended: a dead letter, not a retry. */
    @Override
    public boolean rejected(Throwable failure) {
        return failure instanceof ProblemException problem && problem.problem().status() < 500 || super.rejected(failure);
    }
}
