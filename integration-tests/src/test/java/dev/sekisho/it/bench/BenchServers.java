package dev.sekisho.it.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sekisho.testing.servers.KeycloakServer;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.RedisServer;
import dev.sekisho.testing.servers.TempDirs;

/**
 * The stores of one benchmark run, each a real server with its data and log in the run's work directory: Redis,
 * Keycloak (the suite's realm) and, when databases are named, PostgreSQL with those databases. Stopped together by
 * {@link #close()}, and by a shutdown hook when a start fails half-way. The work directory is deleted when the run
 * completed, kept (and named) otherwise, so a failed run's logs can be read.
 */
final class BenchServers implements AutoCloseable {

    final Path root = Path.of(System.getProperty("sekisho.root", ".")).toAbsolutePath();
    final Path work;
    final String redisUrl;
    final String keycloakUrl;
    private final PostgresServer postgres;
    private final RedisServer redis;
    private final KeycloakServer keycloak;
    private boolean completed;

    private BenchServers(String name, List<String> databases) {
        work = TempDirs.create(name + "-bench");
        if (databases.isEmpty()) {
            postgres = null;
        } else {
            postgres = new PostgresServer(work.resolve("pg"), Ports.free(), "sekisho", "sekisho", work.resolve("pg.log"));
            postgres.start();
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::stop));
            databases.forEach(postgres::createDatabase);
        }
        redis = new RedisServer(Ports.free(), work.resolve("redis"), work.resolve("redis.log"), List.of());
        redisUrl = redis.start();
        Runtime.getRuntime().addShutdownHook(new Thread(redis::stop));
        keycloak = new KeycloakServer(Path.of(System.getProperty("sekisho.keycloak.home")),
                root.resolve("deploy/keycloak/sekisho-realm.json"), Ports.free(), Ports.free(), true, work.resolve("kc.log"));
        Runtime.getRuntime().addShutdownHook(new Thread(keycloak::stop));
        keycloakUrl = keycloak.start(Duration.ofSeconds(300));
        // the test fixtures (KeycloakTokens) fetch their tokens from this Keycloak
        System.setProperty("sekisho.testing.shared.keycloak", keycloakUrl);
    }

    /** Starts Redis, Keycloak and, with {@code databases}, PostgreSQL holding them. */
    static BenchServers start(String name, String... databases) {
        return new BenchServers(name, List.of(databases));
    }

    PostgresServer.Connection db(String database) {
        return postgres.connection(database);
    }

    /**
     * What every service of a benchmark is started with: these stores, the suite's local profile, no tracing,
     * warnings only; and {@code database}'s connection when it is not null. A mutable copy, for the service's own.
     */
    Map<String, String> environment(String database) {
        Map<String, String> env = new HashMap<>(Map.of("QUARKUS_PROFILE", "local", "SEKISHO_KEYCLOAK_URL", keycloakUrl,
                "QUARKUS_REDIS_HOSTS", redisUrl, "QUARKUS_OTEL_SDK_DISABLED", "true", "QUARKUS_LOG_LEVEL", "WARN"));
        if (database != null) {
            PostgresServer.Connection db = db(database);
            env.putAll(Map.of("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl(), "QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl(),
                    "QUARKUS_DATASOURCE_USERNAME", db.user(), "QUARKUS_DATASOURCE_PASSWORD", db.password()));
        }
        return env;
    }

    /** The run got to its end: its work directory (data, logs) can go. */
    void completed() {
        completed = true;
    }

    @Override
    public void close() {
        keycloak.stop();
        redis.stop();
        if (postgres != null) {
            postgres.stop();
        }
        if (completed) {
            TempDirs.delete(work);
        } else {
            System.out.println("the servers' logs are kept in " + work);
        }
    }
}
