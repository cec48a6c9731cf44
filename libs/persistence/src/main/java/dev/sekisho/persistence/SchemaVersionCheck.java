package dev.sekisho.persistence;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.hibernate.reactive.mutiny.Mutiny;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * Ready only when PostgreSQL answers through Hibernate Reactive and every migration has been applied
 * successfully; reports the schema version.
 */
@Readiness
@ApplicationScoped
public class SchemaVersionCheck implements AsyncHealthCheck {

    private static final String NAME = "database schema";

    @Inject
    Mutiny.SessionFactory sessions;

    @Override
    public Uni<HealthCheckResponse> call() {
        return sessions.withSession(session -> session
                // the latest versioned migration: repeatable ones (the outbox table) have no version
                .createQuery("from AppliedMigration where version is not null order by installedRank desc", AppliedMigration.class)
                .setMaxResults(1)
                .getSingleResultOrNull())
                .ifNoItem().after(Duration.ofSeconds(3)).fail()
                .map(latest -> latest != null && latest.success
                        ? HealthCheckResponse.named(NAME).up().withData("version", latest.version).build()
                        : HealthCheckResponse.named(NAME).down().withData("reason", "migrations not applied").build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named(NAME).down()
                        .withData("reason", e.getClass().getSimpleName()).build());
    }
}
