package dev.sekisho.alert.rest;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.alert.repository.AlertEntity;
import dev.sekisho.alert.repository.AlertStore;
import dev.sekisho.alert.service.AlertBook;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Alerts over REST: listed and read by operators, auditors and admins; acknowledged and resolved by operators and
 * admins (audited, with the person who did it). An alert's evidence names its signals, their traces and audit events,
 * and the audit query that shows them.
 */
@Path("/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
public class AlertsResource {

    static final Set<String> STATES = Set.of("firing", "acknowledged", "resolved");
    static final Set<String> SEVERITIES = Set.of("informational", "low", "medium", "high", "critical");

    public record Alert(UUID id, String rule, String ruleType, String title, String severity, Map<String, String> labels, String state,
            int occurrences, Instant firstFiredAt, Instant lastFiredAt, Instant acknowledgedAt, String acknowledgedBy,
            Instant resolvedAt, String resolvedBy) {

        static Alert of(AlertEntity a) {
            return new Alert(a.id, a.ruleId, a.ruleType, a.title, a.severity, a.labels, a.state, a.occurrences, a.firstFiredAt,
                    a.lastFiredAt, a.acknowledgedAt, a.acknowledgedBy, a.resolvedAt, a.resolvedBy);
        }
    }

    public record Page(List<Alert> alerts, Instant nextBefore) {
    }

    /** Where to look in audit-service: the trace ids of the evidence, as audit-service's own query. */
    public record Evidence(List<AlertStore.Firing> firings, List<String> traceIds, List<String> auditQueries) {
    }

    public record Detail(Alert alert, Evidence evidence, List<AlertStore.HistoryLine> history,
            List<dev.sekisho.alert.repository.ActionStore.ActionView> actions) {
    }

    public record Note(String note) {
    }

    @Inject
    AlertBook alerts;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<Page> list(@QueryParam("state") String state, @QueryParam("severity") String severity, @QueryParam("rule") String rule,
            @QueryParam("since") String since, @QueryParam("before") String before, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (state != null && !STATES.contains(state)) {
            throw ProblemException.badRequest("state is firing, acknowledged or resolved");
        }
        if (severity != null && !SEVERITIES.contains(severity)) {
            throw ProblemException.badRequest("severity is informational, low, medium, high or critical");
        }
        if (rule != null && (rule.length() > 64 || rule.isEmpty())) {
            throw ProblemException.badRequest("rule is a rule id of at most 64 characters");
        }
        if (limit < 1 || limit > 500) {
            throw ProblemException.badRequest("limit is 1 to 500");
        }
        return alerts.list(state, severity, rule, instant("since", since), instant("before", before), limit)
                .map(found -> new Page(found.stream().map(Alert::of).toList(),
                        found.size() == limit ? found.get(found.size() - 1).lastFiredAt : null));
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<Detail> get(@PathParam("id") String id) {
        return alerts.get(uuid(id)).map(detail -> {
            List<String> traces = detail.firings().stream().flatMap(f -> f.evidence().stream()).map(AlertStore.EvidenceEntry::traceId)
                    .filter(t -> !t.isEmpty()).distinct().limit(20).toList();
            List<String> queries = traces.stream().map(t -> "/v1/audit/events?traceId=" + t).toList();
            return new Detail(Alert.of(detail.alert()), new Evidence(detail.firings(), traces, queries), detail.history(), detail.actions());
        });
    }

    @POST
    @Path("/{id}/ack")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Alert> acknowledge(@PathParam("id") String id, Note body) {
        return alerts.acknowledge(uuid(id), who(), note(body)).map(Alert::of);
    }

    @POST
    @Path("/{id}/resolve")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Alert> resolve(@PathParam("id") String id, Note body) {
        return alerts.resolve(uuid(id), who(), note(body)).map(Alert::of);
    }

    private Who who() {
        String ip = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        return Who.of(caller, ip, request.getHeader("User-Agent"));
    }

    private static String note(Note body) {
        String note = body == null || body.note() == null ? "" : body.note();
        if (note.length() > 512 || note.chars().anyMatch(Character::isISOControl)) {
            throw ProblemException.badRequest("note is at most 512 printable characters");
        }
        return note;
    }

    private static UUID uuid(String id) {
        try {
            if (id.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("There is no such alert.");
        }
    }

    private static Instant instant(String name, String text) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest(name + " is an ISO-8601 instant such as 2026-12-01T10:00:00Z");
        }
    }
}
