package dev.sekisho.secrets.rest;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
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
import jakarta.ws.rs.core.Response;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.security.ApiKeyCaller;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.Integrations;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The integration registry over REST: operators and admins propose integrations, approvers approve them (never their
 * own request), owners activate and retire them, approvers suspend and resume them; everyone who governs reads them.
 * People only: an API key never changes the registry it is governed by.
 */
@Path("/v1/integrations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class IntegrationsResource {

    public record ProposeBody(@NotNull @Size(max = 64) String name, @Size(max = 128) String owner, @NotNull @Size(max = 128) String department,
            @NotNull @Size(max = 1024) String purpose, @NotNull @Size(min = 1, max = 16) List<String> dataClasses,
            @NotNull @Size(min = 1, max = 32) List<String> destinations, @Size(max = 8) List<String> serviceClients) {
    }

    public record NoteBody(@Size(max = 500) String note) {
    }

    public record ReasonBody(@Size(max = 500) String reason) {
    }

    public record OwnerBody(@NotNull @Size(max = 128) String owner, @Size(max = 500) String reason) {
    }

    @Inject
    Integrations integrations;

    @Inject
    SecurityIdentity caller;

    @Inject
    ClientAddress clientAddress;

    @Context
    HttpServerRequest request;

    @POST
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Response> propose(@Valid @NotNull ProposeBody body) {
        return integrations.propose(accessor(), new Integrations.NewIntegration(body.name(), body.owner(), body.department(), body.purpose(),
                body.dataClasses(), body.destinations(), body.serviceClients())).map(view -> Response.status(Response.Status.CREATED).entity(view).build());
    }

    @GET
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<List<Integrations.View>> list(@QueryParam("state") String state, @QueryParam("owner") String owner,
            @QueryParam("after") String after, @QueryParam("limit") @DefaultValue("100") int limit) {
        ApiKeyCaller.refuseOn(caller);
        return integrations.list(state, owner, after, limit);
    }

    /** Which data classes go to which destinations through which integrations and credentials (audited). */
    @GET
    @Path("/flows")
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<Integrations.Flows> flows() {
        return integrations.flows(accessor());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN, Permissions.AUDITOR, Permissions.APPROVER})
    public Uni<Integrations.View> get(@PathParam("id") String id) {
        ApiKeyCaller.refuseOn(caller);
        return integrations.get(id);
    }

    @POST
    @Path("/{id}/approve")
    @RolesAllowed(Permissions.APPROVER)
    public Uni<Integrations.View> approve(@PathParam("id") String id, @Valid NoteBody body) {
        return integrations.approve(accessor(), id, body == null ? null : body.note());
    }

    @POST
    @Path("/{id}/activate")
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Integrations.View> activate(@PathParam("id") String id) {
        return integrations.activate(accessor(), id);
    }

    @POST
    @Path("/{id}/suspend")
    @RolesAllowed({Permissions.APPROVER, Permissions.ADMIN})
    public Uni<Integrations.View> suspend(@PathParam("id") String id, @Valid ReasonBody body) {
        return integrations.suspend(accessor(), id, body == null ? null : body.reason());
    }

    @POST
    @Path("/{id}/resume")
    @RolesAllowed(Permissions.APPROVER)
    public Uni<Integrations.View> resume(@PathParam("id") String id, @Valid ReasonBody body) {
        return integrations.resume(accessor(), id, body == null ? null : body.reason());
    }

    @POST
    @Path("/{id}/retire")
    @RolesAllowed({Permissions.OPERATOR, Permissions.ADMIN})
    public Uni<Integrations.View> retire(@PathParam("id") String id, @Valid ReasonBody body) {
        return integrations.retire(accessor(), id, body == null ? null : body.reason());
    }

    /** A new owner; an integration suspended because its owner left is active again under the new one. */
    @POST
    @Path("/{id}/owner")
    @RolesAllowed({Permissions.APPROVER, Permissions.ADMIN})
    public Uni<Integrations.View> assignOwner(@PathParam("id") String id, @Valid @NotNull OwnerBody body) {
        return integrations.assignOwner(accessor(), id, body.owner(), body.reason());
    }

    private Accessor accessor() {
        ApiKeyCaller.refuseOn(caller);
        return clientAddress.accessor(caller, request);
    }
}
