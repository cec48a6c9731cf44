package dev.sekisho.secrets.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.security.ApiKeyCaller;
import dev.sekisho.secrets.service.Keyring;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * The master-key ring in use: how many data keys each version wraps and whether it may leave the ring (never a key);
 * and the rewrap that moves every data key to the current version (it also runs every sekisho.secrets.rewrap-interval).
 */
@Path("/v1/keyring")
@Produces(MediaType.APPLICATION_JSON)
public class KeyringResource {

    @Inject
    Keyring keyring;

    @Inject
    SecurityIdentity caller;

    @Inject
    ClientAddress clientAddress;

    @Context
    HttpServerRequest request;

    @GET
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<Keyring.Status> status() {
        ApiKeyCaller.refuseOn(caller);
        return keyring.status();
    }

    @POST
    @Path("/rewrap")
    @RolesAllowed(Permissions.ADMIN)
    public Uni<Keyring.Rewrapped> rewrap() {
        ApiKeyCaller.refuseOn(caller);
        return keyring.rewrap(clientAddress.accessor(caller, request).who());
    }
}
