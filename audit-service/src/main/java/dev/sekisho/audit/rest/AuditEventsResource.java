package dev.sekisho.audit.rest;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.audit.repository.AuditEventEntity;
import dev.sekisho.audit.repository.AuditQuery;
import dev.sekisho.audit.service.ReadAudit;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.text.Csv;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** Reading the audit log: filtered pages newest first, one event, and streaming export as NDJSON or CSV. */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Permissions.AUDITOR, Permissions.ADMIN})
public class AuditEventsResource {

    public record Actor(String type, String id, String ip, String userAgent, String clientId) {
    }

    public record Resource(String type, String id) {
    }

    public record EventView(long seq, String eventId, Instant occurredAt, Instant recordedAt, Actor actor, String action,
            Resource resource, String outcome, String reason, String service, String traceId, Map<String, String> attributes,
            String hash) {

        static EventView of(AuditEventEntity e) {
            return new EventView(e.seq, e.eventId.toString(), e.occurredAt, e.recordedAt,
                    new Actor(e.actorType, e.actorId, e.actorIp, e.actorUserAgent, e.actorClientId), e.action,
                    new Resource(e.resourceType, e.resourceId), e.outcome, e.reason, e.service, e.traceId,
                    new TreeMap<>(e.attributes), HexFormat.of().formatHex(e.hash));
        }
    }

    public record EventPage(List<EventView> events, Long nextCursor) {
    }

    static final String CSV_HEADER = "seq,event_id,occurred_at,recorded_at,actor_type,actor_id,actor_ip,action,"
            + "resource_type,resource_id,outcome,reason,service,trace_id,hash";

    @Inject
    AuditQuery query;

    @Inject
    ReadAudit readAudit;

    @Inject
    SecurityIdentity reader;

    @GET
    @Path("/events")
    public Uni<EventPage> events(@QueryParam("actor") String actor, @QueryParam("ip") String ip,
            @QueryParam("action") String action, @QueryParam("resourceType") String resourceType,
            @QueryParam("resourceId") String resourceId, @QueryParam("outcome") String outcome,
            @QueryParam("service") String service, @QueryParam("traceId") String traceId,
            @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("cursor") Long cursor, @QueryParam("limit") @DefaultValue("100") int limit) {
        var filter = new AuditQuery.Filter(actor, ip, action, resourceType, resourceId, outcome, service, traceId,
                instant("from", from), instant("to", to));
        Map<String, String> details = new java.util.HashMap<>();
        details.put("actor_filter", actor);
        details.put("action_filter", action);
        details.put("trace_filter", traceId);
        return readAudit.recorded(reader, "events", details, query.page(filter, cursor, limit)
                .map(page -> new EventPage(page.events().stream().map(EventView::of).toList(), page.nextCursor())));
    }

    @GET
    @Path("/events/{id}")
    public Uni<EventView> event(@PathParam("id") String id) {
        UUID eventId;
        try {
            eventId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("the event id must be a UUID");
        }
        return readAudit.recorded(reader, "event", Map.of("event", eventId.toString()), query.byId(eventId).map(e -> {
            if (e == null) {
                throw ProblemException.notFound("no audit event with that id");
            }
            return EventView.of(e);
        }));
    }

    /** The matching records oldest first, streamed as one JSON object per line. */
    @GET
    @Path("/export/ndjson")
    @Produces("application/x-ndjson")
    public Multi<EventView> exportNdjson(@QueryParam("action") String action, @QueryParam("actor") String actor,
            @QueryParam("from") String from, @QueryParam("to") String to) {
        return readAudit.recorded(reader, "export", Map.of("format", "ndjson"), Uni.createFrom().voidItem())
                .onItem().transformToMulti(ignored -> query.stream(exportFilter(action, actor, from, to)).map(EventView::of));
    }

    /** The matching records oldest first, streamed as CSV with a header line. */
    @GET
    @Path("/export/csv")
    @Produces("text/csv")
    public Multi<String> exportCsv(@QueryParam("action") String action, @QueryParam("actor") String actor,
            @QueryParam("from") String from, @QueryParam("to") String to) {
        return readAudit.recorded(reader, "export", Map.of("format", "csv"), Uni.createFrom().voidItem())
                .onItem().transformToMulti(ignored -> Multi.createBy().concatenating().streams(
                        Multi.createFrom().item(CSV_HEADER + "\n"),
                        query.stream(exportFilter(action, actor, from, to)).map(AuditEventsResource::csv)));
    }

    private static AuditQuery.Filter exportFilter(String action, String actor, String from, String to) {
        return new AuditQuery.Filter(actor, null, action, null, null, null, null, null, instant("from", from), instant("to", to));
    }

    static String csv(AuditEventEntity e) {
        return String.join(",", String.valueOf(e.seq), e.eventId.toString(), e.occurredAt.toString(), e.recordedAt.toString(),
                Csv.cell(e.actorType), Csv.cell(e.actorId), Csv.cell(e.actorIp), Csv.cell(e.action), Csv.cell(e.resourceType), Csv.cell(e.resourceId),
                Csv.cell(e.outcome), Csv.cell(e.reason), Csv.cell(e.service), Csv.cell(e.traceId), HexFormat.of().formatHex(e.hash)) + "\n";
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest(name + " must be an ISO-8601 instant such as 2026-11-22T10:00:00Z");
        }
    }
}
