package dev.sekisho.testing.servers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One PostgreSQL, Redis and Keycloak per test JVM, started on first use on free ports, reused by every test class
 * and stopped when the JVM exits. Each can instead point at an existing server through an environment variable.
 *
 * <p>Quarkus may load test resources in more than one class loader (test profiles restart the application), so
 * the "already started" state lives in system properties, which the whole JVM shares.
 */
public final class SharedServers {

    public static final String POSTGRES_URL_ENV = "SEKISHO_TEST_POSTGRES_URL";
    public static final String POSTGRES_USER_ENV = "SEKISHO_TEST_POSTGRES_USER";
    public static final String POSTGRES_PASSWORD_ENV = "SEKISHO_TEST_POSTGRES_PASSWORD";
    public static final String REDIS_URL_ENV = "SEKISHO_TEST_REDIS_URL";
    public static final String KEYCLOAK_URL_ENV = "SEKISHO_TEST_KEYCLOAK_URL";

    static final String TEST_DATABASE = "sekisho";
    private static final String POSTGRES_KEY = "sekisho.testing.shared.postgres";
    private static final String REDIS_KEY = "sekisho.testing.shared.redis";
    private static final String KEYCLOAK_KEY = "sekisho.testing.shared.keycloak";
    private static final String KEYCLOAK_PID_KEY = "sekisho.testing.shared.keycloak.pid";

    /** Set (true) where tests look at traces: Keycloak then exports to {@link #traces()} too. */
    public static final String TRACES_PROPERTY = "sekisho.testing.traces";
    private static TraceCollector traces;

    private SharedServers() {
    }

    /**
     * The JVM's OTLP receiver, started on first use: the suite's services and, with {@link #TRACES_PROPERTY}, Keycloak
     * export their spans to it. (One class loader only: the integration tests, which run no Quarkus application.)
     */
    public static synchronized TraceCollector traces() {
        if (traces == null) {
            TraceCollector started = TraceCollector.start(Ports.free(), null);
            onExit(started::close);
            traces = started;
        }
        return traces;
    }

    /** Connection to a database named {@code sekisho}. */
    public static PostgresServer.Connection postgres() {
        synchronized (System.getProperties()) {
            String shared = System.getProperty(POSTGRES_KEY);
            if (shared == null) {
                shared = encode(startPostgres());
                System.setProperty(POSTGRES_KEY, shared);
            }
            return decode(shared);
        }
    }

    public static String redis() {
        synchronized (System.getProperties()) {
            String shared = System.getProperty(REDIS_KEY);
            if (shared == null) {
                String external = System.getenv(REDIS_URL_ENV);
                if (external != null && !external.isBlank()) {
                    shared = external;
                } else {
                    Path data = TempDirs.create("redis");
                    RedisServer server = new RedisServer(Ports.free(), data, logFile("redis"), List.of());
                    shared = server.start();
                    onExit(() -> {
                        server.stop();
                        TempDirs.delete(data);
                    });
                }
                System.setProperty(REDIS_KEY, shared);
            }
            return shared;
        }
    }

    /** Base URL of a Keycloak that has the sekisho realm. */
    public static String keycloak() {
        synchronized (System.getProperties()) {
            String shared = System.getProperty(KEYCLOAK_KEY);
            if (shared == null) {
                String external = System.getenv(KEYCLOAK_URL_ENV);
                if (external != null && !external.isBlank()) {
                    shared = external.replaceAll("/+$", "");
                } else {
                    KeycloakServer server = new KeycloakServer(keycloakHome(), realmFile(), Ports.free(), Ports.free(), true,
                            logFile("keycloak"));
                    if (Boolean.getBoolean(TRACES_PROPERTY)) {
                        server.withTracing(traces().endpoint());
                    }
                    shared = server.start(Duration.ofSeconds(Long.getLong("sekisho.keycloak.start-timeout", 240)));
                    System.setProperty(KEYCLOAK_PID_KEY, String.valueOf(server.pid()));
                    onExit(server::stop);
                }
                System.setProperty(KEYCLOAK_KEY, shared);
            }
            return shared;
        }
    }

    /**
     * Freezes the Keycloak this JVM started (SIGSTOP to it and its JVM): connections stay open and nothing
     * answers, as with a hung identity provider. False when Keycloak is an external one that tests must not touch.
     */
    public static boolean pauseKeycloak() {
        keycloak();
        String pid = System.getProperty(KEYCLOAK_PID_KEY);
        if (pid == null) {
            return false;
        }
        ServerProcess.signal(Long.parseLong(pid), "STOP");
        return true;
    }

    /** Thaws what {@link #pauseKeycloak()} froze. */
    public static void resumeKeycloak() {
        String pid = System.getProperty(KEYCLOAK_PID_KEY);
        if (pid != null) {
            ServerProcess.signal(Long.parseLong(pid), "CONT");
        }
    }

    private static PostgresServer.Connection startPostgres() {
        String external = System.getenv(POSTGRES_URL_ENV);
        if (external != null && !external.isBlank()) {
            // jdbc:postgresql://host:port/database
            URIParts parts = URIParts.parse(external.replaceFirst("^jdbc:", ""));
            return new PostgresServer.Connection(parts.host, parts.port, parts.path, envOr(POSTGRES_USER_ENV, "postgres"),
                    envOr(POSTGRES_PASSWORD_ENV, "postgres"));
        }
        Path data = TempDirs.create("postgres");
        PostgresServer server = new PostgresServer(data.resolve("data"), Ports.free(), "sekisho", "sekisho", logFile("postgres"));
        server.start();
        onExit(() -> {
            server.stop();
            TempDirs.delete(data);
        });
        server.createDatabase(TEST_DATABASE);
        return server.connection(TEST_DATABASE);
    }

    private record URIParts(String host, int port, String path) {
        static URIParts parse(String url) {
            java.net.URI uri = java.net.URI.create(url);
            return new URIParts(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, uri.getPath().replaceFirst("^/", ""));
        }
    }

    public static Path keycloakHome() {
        String home = System.getProperty("sekisho.keycloak.home", System.getenv("SEKISHO_KEYCLOAK_HOME"));
        if (home == null) {
            throw new IllegalStateException("sekisho.keycloak.home is not set: run the tests through Maven,"
                    + " or set SEKISHO_TEST_KEYCLOAK_URL");
        }
        return Path.of(home);
    }

    public static Path realmFile() {
        String file = System.getProperty("sekisho.realm.file");
        if (file != null) {
            return Path.of(file);
        }
        String root = System.getProperty("sekisho.root", ".");
        return Path.of(root, "deploy/keycloak/sekisho-realm.json");
    }

    private static String encode(PostgresServer.Connection c) {
        return String.join("|", c.host(), String.valueOf(c.port()), c.database(), c.user(), c.password());
    }

    private static PostgresServer.Connection decode(String value) {
        String[] p = value.split("\\|", -1);
        return new PostgresServer.Connection(p[0], Integer.parseInt(p[1]), p[2], p[3], p[4]);
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    public static Path logFile(String server) {
        return Path.of(System.getProperty("user.dir"), "target", "test-servers", server + ".log");
    }


    private static void onExit(Runnable stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop.run();
            } catch (RuntimeException e) {
                System.err.println("sekisho-testing: stopping a test server failed: " + e.getMessage());
            }
        }, "sekisho-test-server-stop"));
    }

}
