package dev.sekisho.peers;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * The outbox in readiness: per stream, the entries waiting for their peer, the oldest one's age, and the dead letters
 * (entries the peer refused: kept, signalled, never retried; an operator reads them). DOWN only when the store cannot
 * be read, which is when nothing can be recorded and so nothing may be done.
 */
@Readiness
@ApplicationScoped
public class OutboxReadiness implements AsyncHealthCheck {

    @Inject
    Outbox outbox;

    @Override
    public Uni<HealthCheckResponse> call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("outbox");
        return outbox.backlogs()
                .invoke(backlogs -> backlogs.forEach((stream, backlog) -> response
                        .withData(stream + ".waiting", backlog.entries())
                        .withData(stream + ".oldest_seconds", backlog.oldest().toSeconds())))
                .chain(outbox::deadLetters)
                .invoke(dead -> dead.forEach((stream, count) -> response.withData(stream + ".dead_letters", count)))
                .map(dead -> response.up().build())
                .onFailure().recoverWithItem(e -> response.down().withData("error", e.getClass().getSimpleName()).build());
    }
}
