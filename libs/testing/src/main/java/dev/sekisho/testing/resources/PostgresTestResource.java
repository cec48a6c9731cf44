package dev.sekisho.testing.resources;

import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Points the default datasource (reactive and JDBC, for Flyway) at the JVM's shared PostgreSQL. */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        PostgresServer.Connection db = SharedServers.postgres();
        return Map.of(
                "quarkus.datasource.reactive.url", db.reactiveUrl(),
                "quarkus.datasource.jdbc.url", db.jdbcUrl(),
                "quarkus.datasource.username", db.user(),
                "quarkus.datasource.password", db.password());
    }

    @Override
    public void stop() {
        // shared by every test class of this JVM; SharedServers stops it at JVM exit
    }
}
