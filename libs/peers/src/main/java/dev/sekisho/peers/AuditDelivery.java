package dev.sekisho.peers;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.MutinyAuditIngestGrpc;
import io.quarkus.arc.properties.IfBuildProperty;
import dev.sekisho.common.tracing.TraceOrigin;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/**
 * Hands audit events from the outbox to audit-service, which stores each event id once. audit-service itself
 * ({@code sekisho.outbox.audit-delivery=local}, a build-time choice) appends its own events to the chain instead.
 */
@ApplicationScoped
@IfBuildProperty(name = "sekisho.outbox.audit-delivery", stringValue = "grpc", enableIfMissing = true)
public class AuditDelivery extends ProtoDelivery<AuditEvent> {

    public static final String STREAM = "audit";

    @GrpcClient("audit")
    MutinyAuditIngestGrpc.MutinyAuditIngestStub audit;

    @Inject
    ServiceToken serviceToken;

    @GrpcClient("audit")
    io.grpc.Channel channel;

    public AuditDelivery() {
        super(STREAM, AuditEvent.parser(), m -> new TraceOrigin(m.getTraceId(), m.getSpanId()));
    }

    @Override
    protected Uni<?> send(AuditEvent event) {
        return audit.withCallCredentials(serviceToken.credentials()).record(event)
                .onFailure(ProtoDelivery::unavailable).invoke(() -> ProtoDelivery.reconnectNow(channel));
    }
}
