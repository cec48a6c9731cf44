package dev.sekisho.audit.grpc;

import java.time.Duration;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;

import dev.sekisho.audit.service.AuditAppender;
import dev.sekisho.audit.service.EventValidator;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngest;
import dev.sekisho.audit.v1.RecordAck;
import dev.sekisho.audit.v1.RecordBatchAck;
import dev.sekisho.common.problem.GrpcProblems;
import dev.sekisho.common.problem.ProblemException;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** gRPC ingest: one event, or a stream acknowledged in batches as records become durable. */
@GrpcService
@RolesAllowed("service")
public class AuditIngestGrpcService implements AuditIngest {

    /** Events of one stream being appended at once; the appender batches them into transactions. */
    static final int IN_FLIGHT_PER_STREAM = 512;

    @Inject
    EventValidator validator;

    @Inject
    AuditAppender appender;

    @Override
    public Uni<RecordAck> record(AuditEvent event) {
        return Uni.createFrom().deferred(() -> appender.append(validator.toRecord(event)))
                .map(AuditIngestGrpcService::ack)
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    /** An invalid event ends the stream with INVALID_ARGUMENT; events acknowledged before it stay stored. */
    @Override
    public Multi<RecordBatchAck> recordStream(Multi<AuditEvent> events) {
        return events
                .onItem().transformToUni(event -> Uni.createFrom().deferred(() -> appender.append(validator.toRecord(event))))
                .merge(IN_FLIGHT_PER_STREAM)
                .map(AuditIngestGrpcService::ack)
                .group().intoLists().of(500, Duration.ofMillis(100))
                .map(acks -> RecordBatchAck.newBuilder().addAllAcks(acks).build())
                .onFailure(ProblemException.class).transform(e -> GrpcProblems.toStatus((ProblemException) e));
    }

    private static RecordAck ack(AuditAppender.Ack ack) {
        return RecordAck.newBuilder().setEventId(ack.eventId().toString()).setSequence(ack.seq()).setDuplicate(ack.duplicate()).build();
    }
}
