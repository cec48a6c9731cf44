package dev.sekisho.common.problem;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Problems for requests that never reach a REST resource: a path nothing serves, or an HTTP-layer refusal such
 * as a body over the size limit. Without this they would get Vert.x's plain-text pages.
 */
@ApplicationScoped
public class ProblemRoutes {

    /**
     * Requests declaring a larger body are refused with a problem before anything reads them. Quarkus' own limit
     * (quarkus.http.limits.max-body-size, set higher) stays the hard stop for bodies sent without a length.
     */
    @ConfigProperty(name = "sekisho.http.max-body-size", defaultValue = "1M")
    MemorySize maxBodySize;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            if (length != null && isLongerThan(length, maxBodySize.asLongValue())) {
                ctx.response().putHeader("Connection", "close");
                write(ctx, Problem.of(ProblemType.PAYLOAD_TOO_LARGE,
                        "The request body is larger than " + maxBodySize.asLongValue() + " bytes."));
                return;
            }
            ctx.next();
        });
        router.route().order(Integer.MAX_VALUE).handler(ctx -> {
            if (isGrpc(ctx)) {
                ctx.next(); // gRPC shares the port; its handler answers unknown methods itself
                return;
            }
            write(ctx, Problem.of(ProblemType.NOT_FOUND, "No such resource."));
        });
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (isGrpc(ctx)) {
                ctx.next(); // gRPC answers with a status in trailers, not a body
                return;
            }
            int status = ctx.statusCode();
            if (status == 400 || status == 401 || status == 403 || status == 404 || status == 405 || status == 413 || status == 415) {
                ProblemType type = ProblemType.forStatus(status);
                if (status == 401) {
                    ctx.response().putHeader("WWW-Authenticate", "Bearer");
                }
                write(ctx, Problem.of(type, type == ProblemType.PAYLOAD_TOO_LARGE ? "The request is too large." : type.title() + "."));
            } else {
                ctx.next();
            }
        });
    }

    private static boolean isGrpc(RoutingContext ctx) {
        String contentType = ctx.request().getHeader("Content-Type");
        return contentType != null && contentType.startsWith("application/grpc");
    }

    private static boolean isLongerThan(String contentLength, long limit) {
        try {
            return Long.parseLong(contentLength.trim()) > limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void write(RoutingContext ctx, Problem problem) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(problem.status())
                .putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(Json.encode(problem.withInstance(ctx.normalizedPath())));
    }
}
