package dev.sekisho.common.problem;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Problems for requests that never reach a REST resource: a path nothing serves, or an HTTP-layer refusal such
 * as a body over the size limit. Without this they would get Vert.x's plain-text pages.
 */
@ApplicationScoped
public class ProblemRoutes {

    void install(@Observes Router router) {
        router.route().order(Integer.MAX_VALUE).handler(ctx -> write(ctx, Problem.of(ProblemType.NOT_FOUND, "No such resource.")));
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            int status = ctx.statusCode();
            if (status == 413 || status == 400 || status == 404 || status == 405 || status == 415) {
                ProblemType type = ProblemType.forStatus(status);
                write(ctx, Problem.of(type, type == ProblemType.PAYLOAD_TOO_LARGE ? "The request is too large." : type.title() + "."));
            } else {
                ctx.next();
            }
        });
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
