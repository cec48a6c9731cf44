package dev.sekisho.auth.rest;

import java.time.Duration;
import java.util.Map;

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

import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.auth.login.ClientAddress;
import dev.sekisho.auth.review.AccessReview;
import dev.sekisho.auth.review.AccessReview.Disabled;
import dev.sekisho.auth.review.AccessReview.Review;
import dev.sekisho.alert.v1.Severity;
import io.vertx.core.http.HttpServerRequest;

/** The access review and the admin's emergency brake. Runs on worker threads (Keycloak's admin client blocks). */
@Path("/v1/auth")
@Produces(MediaType.APPLICATION_JSON)
public class AccessReviewResource {

    @Inject
    AccessReview review;

    @Inject
    SecurityEvents events;

    @Inject
    AuthSettings settings;

    @Inject
    JsonWebToken caller;

    @Inject
    ClientAddress clientAddress;

    @GET
    @Path("/access-review")
    @RolesAllowed({"auditor", "admin"})
    @Operation(summary = "Every user with roles, MFA and last login; flags inactive users and users without MFA")
    public Review accessReview(@QueryParam("inactive-days") @Min(1) @Max(3650) Integer inactiveDays, HttpServerRequest http) {
        Review result = review.review(inactiveDays == null ? settings.inactiveDays() : inactiveDays);
        events.audit("auth.access-review.read", who(http), "access-review", "", Outcome.OUTCOME_SUCCESS, "",
                Map.of("users", String.valueOf(result.users()), "flagged", String.valueOf(result.flagged())))
                .await().atMost(Duration.ofSeconds(5));
        return result;
    }

    @POST
    @Path("/users/{user}/disable")
    @RolesAllowed("admin")
    @Operation(summary = "Disable a user in Keycloak, end their sessions and deny their tokens")
    public Disabled disable(@PathParam("user") String user, HttpServerRequest http) {
        Disabled disabled = review.disable(user);
        events.audit("auth.user.disabled", who(http), "user", disabled.userId(), Outcome.OUTCOME_SUCCESS, "",
                Map.of("username", disabled.username(), "was_enabled", String.valueOf(disabled.wasEnabled())))
                .call(() -> events.signal("auth.user.disabled", Severity.SEVERITY_WARNING,
                        "user disabled by " + caller.getName(), Map.of("user", disabled.username())))
                .await().atMost(Duration.ofSeconds(5));
        return disabled;
    }

    private Who who(HttpServerRequest http) {
        return Who.user(caller.getName(), clientAddress.of(http), http.getHeader("User-Agent"));
    }
}
