package dev.sekisho.alert.rest;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.alert.service.Silences;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/** Silences over REST: created and expired by operators and admins (audited), listed by every role that reads alerts. */
@Path("/v1/silences")
@Produces(MediaType.APPLICATION_JSON)
public class SilencesResource {

    public record NewSilence(List<String> matchers, Instant startsAt, Instant endsAt, String comment) {
    }

    public record SilenceView(UUID id, List<String> matchers, Instant startsAt, Instant endsAt, String createdBy, String comment) {

        static SilenceView of(Silences.Silence s) {
            return new SilenceView(s.id(), s.matchers(), s.startsAt(), s.endsAt(), s.createdBy(), s.comment());
        }
    }

    public record Listing(List<SilenceView> silences) {
    }

    @Inject
    Silences silences;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<SilenceView> create(@NotNull NewSilence body) {
        return silences.create(body.matchers(), body.startsAt(), body.endsAt(), body.comment(), who()).map(SilenceView::of);
    }

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<Listing> list(@QueryParam("active") @DefaultValue("true") boolean active) {
        return silences.list(active).map(list -> new Listing(list.stream().map(SilenceView::of).toList()));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Void> expire(@PathParam("id") String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("There is no such active silence.");
        }
        return silences.expire(uuid, who());
    }

    private Who who() {
        String ip = request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
        return Who.of(caller, ip, request.getHeader("User-Agent"));
    }
}
