package dev.sekisho.auth.rest;


import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.auth.service.AccessReview;
import dev.sekisho.auth.service.AccessReview.Disabled;
import dev.sekisho.auth.service.AccessReview.Review;
import dev.sekisho.auth.service.UserDisabling;
import dev.sekisho.common.security.Permissions;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/** The access review and the admin's emergency brake (the service classes run Keycloak's blocking admin client on workers). */
@Path("/v1/auth")
@Produces(MediaType.APPLICATION_JSON)
public class AccessReviewResource {

    @Inject
    AccessReview review;

    @Inject
    AuthSettings settings;

    @Inject
    SecurityIdentity caller;

    @Inject
    UserDisabling disabling;

    @Inject
    ClientAddress clientAddress;

    @GET
    @Path("/access-review")
    @RolesAllowed({Permissions.AUDITOR, Permissions.ADMIN})
    @Operation(summary = "Every user with roles, MFA and last login; flags inactive users and users without MFA")
    public Uni<Review> accessReview(@QueryParam("inactive-days") @Min(1) @Max(3650) Integer inactiveDays, HttpServerRequest http) {
        return review.read(inactiveDays == null ? settings.inactiveDays() : inactiveDays, who(http));
    }

    @POST
    @Path("/users/{user}/disable")
    @RolesAllowed(Permissions.ADMIN)
    @Operation(summary = "Disable a user in Keycloak, end their sessions and deny their tokens in every service")
    public Uni<Disabled> disable(@PathParam("user") String user, HttpServerRequest http) {
        return disabling.disable(user, "", who(http), true);
    }

    private Who who(HttpServerRequest http) {
        return Who.of(caller, clientAddress.of(http), http.getHeader("User-Agent"));
    }
}
