package dev.sekisho.peers;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.MutinyAuditIngestGrpc;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/** Hands audit events from the outbox to audit-service, which stores each event id once. */
@ApplicationScoped
public class AuditDelivery extends ProtoDelivery<AuditEvent> {

    public static final String STREAM = "audit";

    @GrpcClient("audit")
    MutinyAuditIngestGrpc.MutinyAuditIngestStub audit;

    @Inject
    ServiceToken serviceToken;

    public AuditDelivery() {
        super(STREAM, AuditEvent.parser());
    }

    @Override
    protected Uni<?> send(AuditEvent event) {
        return audit.withCallCredentials(serviceToken.credentials()).record(event);
    }
}
