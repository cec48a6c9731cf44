package dev.sekisho.audit.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.audit.service.RetentionJob;
import io.smallrye.mutiny.Uni;

/** Runs retention now (it also runs every sekisho.audit.retention.interval). */
@Path("/v1/audit/retention")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Permissions.ADMIN)
public class AuditRetentionResource {

    public record RetentionRun(int purged) {
    }

    @Inject
    RetentionJob retention;

    @POST
    @Path("/run")
    public Uni<RetentionRun> run() {
        return retention.run().map(RetentionRun::new);
    }
}
