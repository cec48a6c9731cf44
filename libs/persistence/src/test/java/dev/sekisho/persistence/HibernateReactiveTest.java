package dev.sekisho.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.Test;

import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Hibernate Reactive reaches the real PostgreSQL that Flyway migrated at start, and readiness says so. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
class HibernateReactiveTest {

    @Inject
    Mutiny.SessionFactory sessions;

    @Test
    void nativeSqlRunsOnTheServiceDatabase() {
        Object[] row = sessions.withSession(s -> s
                .createNativeQuery("select current_database(), current_setting('server_version_num')::int", Object[].class)
                .getSingleResult())
                .await().atMost(Duration.ofSeconds(10));
        assertEquals("sekisho", row[0]);
        assertTrue(((Number) row[1]).intValue() >= 180000, "PostgreSQL 18 expected, got " + row[1]);
    }

    @Test
    void migrationsAreReadableAsEntities() {
        var applied = sessions.withSession(s -> s
                .createQuery("from AppliedMigration order by installedRank", AppliedMigration.class)
                .getResultList())
                .await().atMost(Duration.ofSeconds(10));
        assertEquals(List.of("1", "2"), applied.stream().map(m -> m.version).filter(v -> v != null).toList());
        assertTrue(applied.stream().anyMatch(m -> m.version == null), "the outbox table's repeatable migration");
        assertTrue(applied.stream().allMatch(m -> m.success));
    }

    @Test
    void readinessReportsTheSchemaVersion() {
        // the suite's other readiness checks (this test application has no Keycloak) are not this library's
        given().when().get("/q/health/ready").then()
                .body("checks.find { it.name == 'database schema' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'database schema' }.data.version", equalTo("2"));
    }
}
