package dev.sekisho.secrets.rest;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
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
import dev.sekisho.secrets.service.ApiKeys;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * API keys for integrations: operators and admins issue, rotate and revoke them (a key carries only roles its creator
 * holds); auditors read them. The key itself is in the creation or rotation answer only.
 */
@Path("/v1/apikeys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ApiKeysResource {

    public record CreateBody(@NotNull @Size(max = 128) String name, @NotNull @Size(max = 256) String owner, @NotNull @Size(max = 16) String integrationId,
            @NotNull @Size(min = 1, max = 16) List<String> scopes, Instant expiresAt, @Size(max = 32) List<String> allowedCidrs) {
    }

    public record RotateBody(@PositiveOrZero Long overlapSeconds) {
    }

    public record RevokeBody(@Size(max = 500) String reason) {
    }

    public record Revoked(String id, boolean revoked) {
    }

    @Inject
    ApiKeys keys;

    @Inject
    SecurityIdentity caller;

    @Inject
    ClientAddress clientAddress;

    @Context
    HttpServerRequest request;

    @POST
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Response> create(@Valid @NotNull CreateBody body) {
        return keys.create(accessor(), new ApiKeys.NewKey(body.name(), body.owner(), body.integrationId(), body.scopes(), body.expiresAt(), body.allowedCidrs()))
                .map(issued -> Response.status(Response.Status.CREATED).entity(issued).build());
    }

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<List<ApiKeys.KeyView>> list(@QueryParam("owner") String owner, @QueryParam("after") String after,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        ApiKeyCaller.refuseOn(caller);
        return keys.list(owner, after, limit);
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR})
    public Uni<ApiKeys.KeyView> get(@PathParam("id") String id) {
        ApiKeyCaller.refuseOn(caller);
        return keys.get(id);
    }

    @POST
    @Path("/{id}/rotate")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Response> rotate(@PathParam("id") String id, @Valid RotateBody body) {
        long overlap = body == null || body.overlapSeconds() == null ? 86_400 : body.overlapSeconds();
        return keys.rotate(accessor(), id, Duration.ofSeconds(overlap))
                .map(issued -> Response.status(Response.Status.CREATED).entity(issued).build());
    }

    @POST
    @Path("/{id}/revoke")
    @RolesAllowed({Permissions.ADMIN, Permissions.OPERATOR})
    public Uni<Revoked> revoke(@PathParam("id") String id, @Valid RevokeBody body) {
        return keys.revoke(accessor(), id, body == null ? null : body.reason()).map(revoked -> new Revoked(id, revoked));
    }

    private Accessor accessor() {
        ApiKeyCaller.refuseOn(caller);
        return clientAddress.accessor(caller, request);
    }
}
