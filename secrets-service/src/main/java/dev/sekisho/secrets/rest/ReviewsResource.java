package dev.sekisho.secrets.rest;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.security.ApiKeyCaller;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.Reviews;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Review campaigns over REST: admins start them; owners and managers confirm their items; admins and auditors follow
 * progress and export the results as JSON or CSV evidence. People only: an API key reviews nothing.
 */
@Path("/v1/reviews")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ReviewsResource {

    public record StartBody(@NotNull @Size(max = 16) String scope, int days, @Size(max = 500) String note) {
    }

    public record ConfirmBody(@Size(max = 500) String note) {
    }

    @Inject
    Reviews reviews;

    @Inject
    SecurityIdentity caller;

    @Inject
    ClientAddress clientAddress;

    @Context
    HttpServerRequest request;

    @POST
    @RolesAllowed(Permissions.ADMIN)
    public Uni<Response> start(@Valid @NotNull StartBody body) {
        return reviews.start(accessor(), body.scope(), body.days(), body.note())
                .map(c -> Response.status(Response.Status.CREATED).entity(c).build());
    }

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<List<Reviews.Campaign>> list() {
        ApiKeyCaller.refuseOn(caller);
        return reviews.list();
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<Reviews.Campaign> get(@PathParam("id") String id) {
        ApiKeyCaller.refuseOn(caller);
        return reviews.get(id);
    }

    /** What the caller has to confirm in this campaign. */
    @GET
    @Path("/{id}/mine")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<List<Reviews.Item>> mine(@PathParam("id") String id) {
        return reviews.mine(accessor(), id);
    }

    @POST
    @Path("/{id}/items/{kind}/{item}/confirm")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<Reviews.Campaign> confirm(@PathParam("id") String id, @PathParam("kind") String kind, @PathParam("item") String item,
            @Valid ConfirmBody body) {
        return reviews.confirm(accessor(), id, kind, item, body == null ? null : body.note());
    }

    @GET
    @Path("/{id}/export.json")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<Reviews.Campaign> exportJson(@PathParam("id") String id) {
        return reviews.exportJson(accessor(), id);
    }

    @GET
    @Path("/{id}/export.csv")
    @Produces("text/csv")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<String> exportCsv(@PathParam("id") String id) {
        return reviews.exportCsv(accessor(), id);
    }

    private Accessor accessor() {
        ApiKeyCaller.refuseOn(caller);
        return clientAddress.accessor(caller, request);
    }
}
