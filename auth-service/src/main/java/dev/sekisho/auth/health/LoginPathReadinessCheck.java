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
                        .withData("attempt budget", "not decidable: " + (e instanceof io.grpc.StatusRuntimeException status
                                ? status.getStatus().getCode().name() : e.getClass().getSimpleName())).build());
    }
}
