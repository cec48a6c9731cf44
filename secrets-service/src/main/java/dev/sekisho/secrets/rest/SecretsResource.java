package dev.sekisho.secrets.rest;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.secrets.config.SecretsSettings;
import dev.sekisho.secrets.security.ApiKeyCaller;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.SecretsVault;
import dev.sekisho.secrets.service.StaleReport;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Versioned secrets over REST. Any verified caller may ask; what it may do at a path is the access policies' answer
 * (secrets-service checks them on the canonical path, audits every denial). The value is at {@code /v1/secrets/{path}};
 * the other operations on a secret are under reserved first segments, which name no secret:
 * {@code /v1/secrets/metadata/{path}}, {@code /undelete/{path}}, {@code /destroy/{path}}.
 */
@Path("/v1/secrets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Authenticated
public class SecretsResource {

    public record PutBody(@NotNull @Size(min = 1, max = 256) Map<String, String> data, @PositiveOrZero Integer cas) {
    }

    public record HashBody(@NotNull @Size(min = 1, max = 256) Map<String, String> data) {
    }

    public record Versions(@Size(max = 100) List<Integer> versions) {
    }

    public record Changed(String path, List<Integer> versions) {
    }

    public record MetadataBody(Boolean casRequired, Integer maxVersions, @Size(max = 256) String owner,
            @Size(max = 1024) String description, Long rotationPeriodSeconds, Instant expiresAt, Map<String, String> customMetadata,
            @Size(max = 32) List<String> allowedCidrs) {
    }

    private static final String SECRET = "{path: .+}";

    @Inject
    SecretsVault vault;

    @Inject
    StaleReport staleReport;

    @Inject
    ClientAddress clientAddress;

    @Inject
    SecretsSettings settings;

    @Inject
    SecurityIdentity caller;

    @Context
    HttpServerRequest request;

    @GET
    public Uni<SecretsVault.Listing> list(@QueryParam("prefix") @DefaultValue("") String prefix, @QueryParam("after") String after,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        return vault.list(accessor(), prefix, after, limit);
    }

    /** Secrets and API keys unused, due for rotation, expiring or expired, with owners (docs: secrets-service README). */
    @GET
    @Path("/reports/stale")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<StaleReport.Report> stale(@QueryParam("unusedDays") Integer unusedDays, @QueryParam("dueWithinDays") Integer dueWithinDays) {
        ApiKeyCaller.refuseOn(caller);
        return staleReport.report(accessor().who(), unusedDays == null ? settings.staleReport().unusedDays() : unusedDays,
                dueWithinDays == null ? settings.staleReport().dueWithinDays() : dueWithinDays);
    }

    /** Whether a known value was ever stored: its keyed hash (as audit records carry it) and the versions that held it. */
    @POST
    @Path("/audit-hash")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR})
    public Uni<SecretsVault.HashAnswer> auditHash(@Valid @NotNull HashBody body) {
        ApiKeyCaller.refuseOn(caller);
        return vault.auditHash(accessor(), body.data());
    }

    @GET
    @Path(SECRET)
    public Uni<SecretsVault.SecretValue> get(@PathParam("path") @Encoded String path, @QueryParam("version") @DefaultValue("0") int version) {
        return vault.get(accessor(), path, version);
    }

    @PUT
    @Path(SECRET)
    public Uni<SecretsVault.Written> put(@PathParam("path") @Encoded String path, @Valid @NotNull PutBody body) {
        return vault.put(accessor(), path, body.data(), body.cas());
    }

    @DELETE
    @Path(SECRET)
    public Uni<Changed> delete(@PathParam("path") @Encoded String path, @QueryParam("versions") List<Integer> versions) {
        return vault.delete(accessor(), path, versions).map(changed -> new Changed(path, changed));
    }

    @POST
    @Path("/undelete/" + SECRET)
    public Uni<Changed> undelete(@PathParam("path") @Encoded String path, @Valid @NotNull Versions body) {
        return vault.undelete(accessor(), path, body.versions()).map(changed -> new Changed(path, changed));
    }

    @POST
    @Path("/destroy/" + SECRET)
    public Uni<Changed> destroy(@PathParam("path") @Encoded String path, @Valid @NotNull Versions body) {
        return vault.destroy(accessor(), path, body.versions()).map(changed -> new Changed(path, changed));
    }

    @GET
    @Path("/metadata/" + SECRET)
    public Uni<SecretsVault.Metadata> metadata(@PathParam("path") @Encoded String path) {
        return vault.metadata(accessor(), path);
    }

    @PUT
    @Path("/metadata/" + SECRET)
    public Uni<SecretsVault.Metadata> changeMetadata(@PathParam("path") @Encoded String path, @Valid @NotNull MetadataBody body) {
        return vault.changeMetadata(accessor(), path, new SecretsVault.MetadataChange(body.casRequired(), body.maxVersions(), body.owner(),
                body.description(), body.rotationPeriodSeconds(), body.expiresAt(), body.customMetadata(), body.allowedCidrs()));
    }

    private Accessor accessor() {
        return clientAddress.accessor(caller, request);
    }
}
