package dev.sekisho.ratelimit.rest;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

import dev.sekisho.api.AuditLimits;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.sekisho.common.problem.Problem;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.ratelimit.repository.BlockStore;
import dev.sekisho.ratelimit.policy.PolicyRegistry;
import dev.sekisho.ratelimit.policy.Rule;
import dev.sekisho.ratelimit.service.BlockCommands;
import dev.sekisho.ratelimit.service.CheckResult;
import dev.sekisho.ratelimit.service.RateLimitDecider;
import io.smallrye.mutiny.Uni;

/** Sekisho's own rate-limit API over REST; the gRPC twin is RateLimiterGrpcService. */
@Path("/v1/ratelimit")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RateLimitResource {

    public record CheckBody(
            @NotBlank @Size(max = 256) String policy,
            @NotNull @Size(max = 16) Map<@NotBlank @Size(max = 256) String, @NotBlank @Size(max = 1024) String> keys,
            @PositiveOrZero @Max(1_000_000) Long cost,
            @Size(max = 256) String tenant) {
    }

    public record BlockBody(
            @NotBlank String type,
            @NotBlank @Size(max = AuditLimits.RESOURCE_ID) String value,
            @NotNull @PositiveOrZero @Max(30L * 24 * 3600) Long durationSeconds,
            @Size(max = 500) String reason) {
    }

    public record PolicyView(String name, String domain, String algorithm, long limit, long windowSeconds, long burst,
            String failMode, boolean shadowMode, boolean unlimited) {
    }

    @Inject
    RateLimitDecider decider;

    @Inject
    BlockCommands blocks;

    @Inject
    PolicyRegistry policies;

    /** 200 with the remaining budget, or 429 with Retry-After; both carry RateLimit-* headers. */
    @POST
    @Path("/check")
    public Uni<Response> check(@Valid @NotNull CheckBody body) {
        return decider.check(body.policy(), body.keys(), body.cost() == null ? 1 : body.cost(), body.tenant())
                .map(RateLimitResource::checkResponse);
    }

    @GET
    @Path("/policies")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR, Permissions.RATELIMIT_READ})
    public List<PolicyView> policies() {
        return policies.current().namedRules().stream().sorted(Comparator.comparing(Rule::name))
                .map(r -> new PolicyView(r.name(), r.domain(), r.algorithm().configName(), r.unlimited() ? 0 : r.limit(),
                        r.window().toSeconds(), r.burst(), r.failMode().name().toLowerCase(java.util.Locale.ROOT),
                        r.shadowMode(), r.unlimited()))
                .toList();
    }

    @GET
    @Path("/blocks")
    @RolesAllowed({Permissions.ADMIN, Permissions.AUDITOR, Permissions.RATELIMIT_READ})
    public List<BlockStore.Block> blocks(@QueryParam("type") String type) {
        return blocks.list(type);
    }

    @POST
    @Path("/blocks")
    @RolesAllowed({Permissions.ADMIN, Permissions.RATELIMIT_BLOCK})
    public Uni<Response> block(@Valid @NotNull BlockBody body) {
        return blocks.block(body.type(), body.value(), Duration.ofSeconds(body.durationSeconds()), body.reason())
                .map(block -> Response.status(Response.Status.CREATED).entity(block).build());
    }

    @DELETE
    @Path("/blocks/{type}/{value}")
    @RolesAllowed({Permissions.ADMIN, Permissions.RATELIMIT_BLOCK})
    public Uni<Response> unblock(@PathParam("type") String type, @PathParam("value") String value) {
        return blocks.unblock(type, value).map(removed -> {
            if (!removed) {
                throw ProblemException.notFound("that identity is not blocked");
            }
            return Response.noContent().build();
        });
    }

    private static Response checkResponse(CheckResult result) {
        Response.ResponseBuilder response;
        if (result.allowed()) {
            response = Response.ok(result);
        } else {
            long retrySeconds = Math.max(1, (result.retryAfterMillis() + 999) / 1000);
            String detail = result.blocked() ? "This identity is blocked." : "The policy's limit is reached; retry later.";
            response = Response.status(429).type(Problem.MEDIA_TYPE)
                    .entity(Problem.of(ProblemType.RATE_LIMITED, detail))
                    .header("Retry-After", retrySeconds);
        }
        return response
                .header("RateLimit-Limit", result.limit() + ", " + result.limit() + ";w=" + result.windowSeconds())
                .header("RateLimit-Remaining", result.remaining())
                .header("RateLimit-Reset", (result.resetAfterMillis() + 999) / 1000)
                .build();
    }
}
