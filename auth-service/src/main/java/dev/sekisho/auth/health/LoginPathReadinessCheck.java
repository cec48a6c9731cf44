package dev.sekisho.auth.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.auth.service.LoginBudget;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * Ready only once a login would get a definite answer: the attempt budget has been decided by ratelimit-service with
 * this service's token at least once (channel connected, token fetched and verified there). Before that, the first
 * login could time out on a cold path and be answered 503.
 */
@Readiness
@ApplicationScoped
public class LoginPathReadinessCheck implements AsyncHealthCheck {

    @Inject
    LoginBudget budget;

    @Override
    public Uni<HealthCheckResponse> call() {
        return budget.warmUp()
                .map(warm -> HealthCheckResponse.named("login path").up().withData("attempt budget", "decidable").build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("login path").down()
                        .withData("attempt budget", "not decidable: " + why(e)).build());
    }

    /**
     * What refused: the gRPC code and the peer's own description (ratelimit-service's words, such as which check of the
     * caller failed; never input), or the failure's class.
     */
    static String why(Throwable e) {
        if (!(e instanceof io.grpc.StatusRuntimeException refused)) {
            return e.getClass().getSimpleName();
        }
        String description = refused.getStatus().getDescription();
        return refused.getStatus().getCode().name() + (description == null ? ""
                : " (" + (description.length() > 160 ? description.substring(0, 160) + "…" : description) + ")");
    }
}
