package dev.sekisho.alert.rest;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.alert.service.SignalIngest;
import dev.sekisho.alert.service.SignalValidator;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;

/**
 * Signals over REST, for tools that do not speak gRPC: the same validation and evaluation as {@code Alerts/Signal},
 * for machine clients holding {@code alert:signal} (the emitter is the caller's identity, never the body).
 */
@Path("/v1/signals")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Authenticated
public class SignalsResource {

    public record SignalBody(String signalId, String kind, String severity, Instant occurredAt, Map<String, String> labels,
            String summary, String traceId, String auditEventId) {
    }

    public record Acknowledged(String signalId, boolean duplicate, List<String> alertIds) {
    }

    @Inject
    SignalIngest ingest;

    @POST
    public Uni<Acknowledged> signal(@NotNull SignalBody body) {
        SignalValidator.Raw raw = new SignalValidator.Raw(body.signalId(), body.kind(), body.severity(), body.occurredAt(), body.labels(),
                body.summary(), body.traceId(), body.auditEventId());
        return ingest.emitter().flatMap(service -> ingest.ingest(raw, service))
                .map(ack -> new Acknowledged(ack.signalId(), ack.duplicate(), ack.alertIds().stream().map(Object::toString).toList()));
    }
}
