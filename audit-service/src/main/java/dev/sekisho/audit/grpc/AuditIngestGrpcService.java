package dev.sekisho.audit.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import dev.sekisho.audit.repository.AuditAppender;
import dev.sekisho.audit.service.AuditIngest;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.audit.v1.RecordAck;
import dev.sekisho.audit.v1.RecordBatchAck;
import dev.sekisho.common.problem.GrpcErrors;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * gRPC ingest: one event, or a stream acknowledged in batches as records become durable. A stream is read
 * with explicit flow control: at most {@link #IN_FLIGHT_PER_STREAM} events are requested from the client
 * before earlier ones are durable, so a producer faster than PostgreSQL is slowed down, not buffered. Only callers
 * holding {@code audit:record} write, and under their own service's name ({@link AuditIngest}); the check waits for
 * the caller's token without blocking, which {@code @RolesAllowed} on these void methods could not.
 */
@GrpcService
public class AuditIngestGrpcService extends AuditIngestGrpc.AuditIngestImplBase {

    static final int IN_FLIGHT_PER_STREAM = 512;
    static final int ACK_BATCH = 500;

    @Inject
    AuditIngest ingest;

    @Override
    public void record(AuditEvent event, StreamObserver<RecordAck> response) {
        ingest.emitter().flatMap(service -> ingest.record(event, service)).subscribe().with(
                ack -> {
                    response.onNext(ack(ack));
                    response.onCompleted();
                },
                failure -> response.onError(status(failure)));
    }

    /** An invalid event ends the stream with INVALID_ARGUMENT; events acknowledged before it stay stored. */
    @Override
    public StreamObserver<AuditEvent> recordStream(StreamObserver<RecordBatchAck> responses) {
        ServerCallStreamObserver<RecordBatchAck> out = (ServerCallStreamObserver<RecordBatchAck>) responses;
        out.disableAutoRequest();
        out.request(IN_FLIGHT_PER_STREAM);
        Uni<String> emitter = ingest.emitter().memoize().indefinitely();
        EventStream events = new EventStream() {
            private final List<RecordAck> pending = new ArrayList<>();
            private final AtomicInteger inFlight = new AtomicInteger();
            private final AtomicBoolean halfClosed = new AtomicBoolean();
            private final AtomicBoolean failed = new AtomicBoolean();

            @Override
            public void onNext(AuditEvent event) {
                inFlight.incrementAndGet();
                emitter.flatMap(service -> ingest.record(event, service)).subscribe().with(
                        ack -> acknowledged(ack(ack)),
                        failure -> fail(failure));
            }

            @Override
            public void onError(Throwable t) {
                failed.set(true);
            }

            @Override
            public void onCompleted() {
                halfClosed.set(true);
                flushIfDone();
            }

            private void acknowledged(RecordAck ack) {
                synchronized (this) {
                    if (failed.get()) {
                        return;
                    }
                    pending.add(ack);
                    if (pending.size() >= ACK_BATCH) {
                        out.onNext(RecordBatchAck.newBuilder().addAllAcks(pending).build());
                        pending.clear();
                    }
                }
                inFlight.decrementAndGet();
                out.request(1);
                flushIfDone();
            }

            private void flushIfDone() {
                synchronized (this) {
                    if (failed.get() || !halfClosed.get() || inFlight.get() > 0) {
                        return;
                    }
                    failed.set(true); // completed: nothing more may be sent
                    if (!pending.isEmpty()) {
                        out.onNext(RecordBatchAck.newBuilder().addAllAcks(pending).build());
                        pending.clear();
                    }
                    out.onCompleted();
                }
            }

            @Override
            void fail(Throwable failure) {
                synchronized (this) {
                    if (failed.getAndSet(true)) {
                        return;
                    }
                    if (!pending.isEmpty()) {
                        out.onNext(RecordBatchAck.newBuilder().addAllAcks(pending).build());
                        pending.clear();
                    }
                    out.onError(status(failure));
                }
            }
        };
        // the caller's permission is known before the first event: a caller without it hears so at once
        emitter.subscribe().with(service -> { }, events::fail);
        return events;
    }

    /** A stream's events, with its own failure path (also for a refusal that comes before any event). */
    private abstract static class EventStream implements StreamObserver<AuditEvent> {
        abstract void fail(Throwable failure);
    }

    /**
     * A refused event or caller keeps its status (an identity provider's 503 arrives wrapped in Quarkus'
     * AuthenticationFailedException and stays a 503 about tokens); a failed append is UNAVAILABLE: retry.
     */
    private static Throwable status(Throwable failure) {
        return GrpcErrors.knownOrUnavailable(failure, "The audit log cannot be written right now; retry.");
    }

    private static RecordAck ack(AuditAppender.Ack ack) {
        return RecordAck.newBuilder().setEventId(ack.eventId().toString()).setSequence(ack.seq()).setDuplicate(ack.duplicate()).build();
    }
}
