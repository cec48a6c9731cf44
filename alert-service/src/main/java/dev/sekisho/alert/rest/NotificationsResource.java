package dev.sekisho.alert.rest;

import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.alert.repository.NotificationStore;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The delivery log (every notification, its attempts, last status and error; never its body's secrets: notifications
 * carry alerts, not credentials), and receivers disabled by a {@code 410 Gone}, which an admin enables again.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class NotificationsResource {

    public record Deliveries(List<NotificationStore.Delivery> notifications) {
    }

    public record Receivers(List<String> disabled) {
    }

    @Inject
    NotificationStore store;

    @Inject
    SecurityEvents events;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @GET
    @Path("/notifications")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<Deliveries> deliveries(@QueryParam("receiver") String receiver, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 500 || (receiver != null && receiver.length() > 64)) {
            throw ProblemException.badRequest("limit is 1 to 500 and receiver a receiver name");
        }
        return Panache.withSession(() -> store.deliveries(receiver, limit)).map(Deliveries::new);
    }

    @GET
    @Path("/receivers/disabled")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<Receivers> disabled() {
        return Panache.withSession(() -> store.disabledReceivers()).map(Receivers::new);
    }

    @DELETE
    @Path("/receivers/disabled/{name}")
    @RolesAllowed(Permissions.ADMIN)
    public Uni<Void> enable(@PathParam("name") String name) {
        if (name.length() > 64) {
            throw ProblemException.notFound("No such receiver is disabled.");
        }
        Who who = Who.of(caller, request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress(), request.getHeader("User-Agent"));
        return Panache.withTransaction(() -> store.enableReceiver(name).flatMap(n -> {
            if (n == 0) {
                throw ProblemException.notFound("No such receiver is disabled.");
            }
            return events.audit("alert.receiver.enabled", who, "receiver", name, Outcome.OUTCOME_SUCCESS, "", Map.of());
        }));
    }
}
