package dev.sekisho.alert.grpc;

import java.time.Instant;

import jakarta.inject.Inject;

import dev.sekisho.alert.service.SignalIngest;
import dev.sekisho.alert.service.SignalValidator;
import dev.sekisho.alert.v1.MutinyAlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.SignalAck;
import dev.sekisho.common.problem.GrpcErrors;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * {@code sekisho.alert.v1.Alerts}: signals from the services (holding {@code alert:signal}; the emitter is the caller's
 * identity), one at a time or streamed. A stream evaluates up to {@link #IN_FLIGHT_PER_STREAM} signals at once and
 * acknowledges each by id as soon as it is evaluated, so acknowledgements may come out of order.
 */
@GrpcService
public class AlertsGrpcService extends MutinyAlertsGrpc.AlertsImplBase {

    static final int IN_FLIGHT_PER_STREAM = 32;

    @Inject
    SignalIngest ingest;

    @Override
    public Uni<SignalAck> signal(SecuritySignal signal) {
        return ingest.emitter().flatMap(service -> ingest.ingest(raw(signal), service)).map(AlertsGrpcService::ack)
                .onFailure().transform(AlertsGrpcService::status);
    }

    @Override
    public Multi<SignalAck> signalStream(Multi<SecuritySignal> signals) {
        return ingest.emitter().memoize().indefinitely().toMulti()
                .onItem().transformToMultiAndConcatenate(service -> signals.onItem()
                        .transformToUni(signal -> ingest.ingest(raw(signal), service)).merge(IN_FLIGHT_PER_STREAM))
                .map(AlertsGrpcService::ack)
                .onFailure().transform(AlertsGrpcService::status);
    }

    static SignalValidator.Raw raw(SecuritySignal s) {
        String severity = switch (s.getSeverity()) {
            case SEVERITY_INFO, SEVERITY_UNSPECIFIED -> "info";
            case SEVERITY_WARNING -> "warning";
            case SEVERITY_CRITICAL -> "critical";
            default -> "unknown";
        };
        Instant at = s.hasOccurredAt() ? Instant.ofEpochSecond(s.getOccurredAt().getSeconds(), s.getOccurredAt().getNanos()) : null;
        return new SignalValidator.Raw(s.getSignalId(), s.getKind(), severity, at, s.getLabelsMap(), s.getSummary(), s.getTraceId(),
                s.getAuditEventId());
    }

    private static SignalAck ack(SignalIngest.Ack ack) {
        SignalAck.Builder out = SignalAck.newBuilder().setSignalId(ack.signalId()).setDuplicate(ack.duplicate());
        ack.alertIds().forEach(id -> out.addAlertIds(id.toString()));
        return out.build();
    }

    /** A failure the suite knows keeps its status (a bad token: UNAUTHENTICATED); anything else: retry later. */
    private static Throwable status(Throwable failure) {
        return GrpcErrors.knownOrUnavailable(failure, "Signals cannot be evaluated right now; retry.");
    }
}
