package dev.sekisho.launcher;

import dev.sekisho.testing.servers.KeycloakServer;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.RedisServer;
import dev.sekisho.testing.servers.ServerProcess;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TraceCollector;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code ./sekisho up | down | status}: the whole suite as local processes, without Docker. PostgreSQL, Redis and
 * Keycloak come from the same Maven-provided binaries as the tests; the five services run from their built jars.
 * Data lives under one directory (SEKISHO_HOME, default .sekisho) that every {@code up} reuses; the process ids
 * {@code up} started are kept in {@code run/processes.properties}, and {@code down} stops exactly those.
 */
public final class LocalStack {

    private static final String DEMO_USER = "demo";

    private final Path root;
    private final Path home;
    private final Path logs;
    private final Path state;
    private final int postgresPort = envPort("SEKISHO_POSTGRES_PORT", 5432);
    private final int redisPort = envPort("SEKISHO_REDIS_PORT", 6379);
    private final int keycloakPort = envPort("SEKISHO_KEYCLOAK_PORT", 8180);
    private final int keycloakManagementPort = envPort("SEKISHO_KEYCLOAK_MANAGEMENT_PORT", 9180);
    private final int otlpPort = envPort("SEKISHO_OTLP_PORT", 4317);

    LocalStack(Path root, Path home) {
        this.root = root;
        this.home = home;
        this.logs = home.resolve("logs");
        this.state = home.resolve("run/processes.properties");
    }

    public static void main(String[] args) {
        Path root = Path.of(System.getProperty("sekisho.root", ".")).toAbsolutePath().normalize();
        String configuredHome = System.getenv("SEKISHO_HOME");
        Path home = configuredHome == null || configuredHome.isBlank() ? root.resolve(".sekisho") : Path.of(configuredHome);
        LocalStack stack = new LocalStack(root, home.toAbsolutePath());
        String command = args.length == 0 ? "" : args[0];
        try {
            int exit = switch (command) {
                case "up" -> stack.up(java.util.Arrays.asList(args).contains("--tls"));
                case "down" -> stack.down();
                case "status" -> stack.status();
                case "trace" -> stack.trace(args.length > 1 ? args[1] : "last");
                default -> {
                    System.err.println("usage: sekisho up | down | status | logs [component]");
                    yield 2;
                }
            };
            System.exit(exit);
        } catch (RuntimeException e) {
            System.err.println("sekisho: " + e.getMessage());
            System.exit(1);
        }
    }

    int up(boolean tls) {
        this.tls = tls;
        Map<String, Long> running = aliveProcesses();
        if (!running.isEmpty()) {
            System.out.println("Sekisho is already running (" + String.join(", ", running.keySet()) + "); status:");
            return status();
        }
        for (int port : List.of(postgresPort, redisPort, keycloakPort, keycloakManagementPort)) {
            requireFree(port);
        }
        String userCollector = System.getenv("SEKISHO_OTLP_ENDPOINT");
        boolean ownCollector = userCollector == null || userCollector.isBlank();
        if (ownCollector) {
            requireFree(otlpPort);
        }
        Suite.defaultPorts().values().forEach(ports -> {
            requireFree(ports.api());
            requireFree(ports.management());
        });
        Map<String, Long> started = new LinkedHashMap<>();
        try {
            System.out.println("Starting PostgreSQL on " + postgresPort + " ...");
            PostgresServer postgres = postgres();
            postgres.start();
            started.put("postgres", postgres.pid());
            save(started);

            System.out.println("Starting Redis on " + redisPort + " ...");
            RedisServer redis = new RedisServer(redisPort, home.resolve("data/redis"), logs.resolve("redis.log"),
                    List.of("--appendonly", "yes"));
            redis.start();
            started.put("redis", redis.pid());
            save(started);

            String otlp = ownCollector ? "http://127.0.0.1:" + otlpPort : userCollector;
            if (ownCollector) {
                System.out.println("Starting the trace collector (OTLP/gRPC) on " + otlpPort + " ...");
                started.put("traces", startCollector().pid());
                save(started);
            }

            System.out.println("Starting Keycloak on " + keycloakPort + " (a cold start takes about a minute) ...");
            KeycloakServer keycloak = new KeycloakServer(keycloakHome(), root.resolve("deploy/keycloak/sekisho-realm.json"),
                    keycloakPort, keycloakManagementPort, false, logs.resolve("keycloak.log")).withTracing(otlp);
            keycloak.start(Duration.ofSeconds(300));
            started.put("keycloak", keycloak.pid());
            save(started);

            System.out.println("Starting the services ...");
            Suite suite = new Suite(root, logs,
                    new Suite.Backends(postgres.connection("postgres"), redis.url(), keycloak.url()), Suite.defaultPorts())
                    .withTraceEndpoint(otlp);
            if (tls) {
                suite.withTls(developmentCertificates());
            }
            suite.start(Duration.ofSeconds(240)).forEach((service, process) -> started.put(service.module(), process.pid()));
            save(started);
        } catch (RuntimeException e) {
            save(started);
            System.err.println("sekisho: start failed, stopping what was started: " + e.getMessage());
            down();
            return 1;
        }
        printTable();
        return 0;
    }

    /** scripts/dev-certs.sh's CA and certificates under the data directory, made on the first {@code up --tls}. */
    private Path developmentCertificates() {
        Path directory = home.resolve("certs");
        try {
            Process made = new ProcessBuilder("bash", root.resolve("scripts/dev-certs.sh").toString(), directory.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            if (made.waitFor() != 0) {
                throw new IllegalStateException("scripts/dev-certs.sh failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return directory;
    }

    /** The collector's spans as they arrive, kept for {@code ./sekisho trace}. */
    private Path spansFile() {
        return home.resolve("traces/spans.jsonl");
    }

    private Process startCollector() {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), TraceCollector.class.getName(), "serve",
                String.valueOf(otlpPort), spansFile().toString());
        Process process = ServerProcess.start(command, logs.resolve("traces.log"), Map.of());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Ports.isListening("127.0.0.1", otlpPort)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the trace collector did not start; see " + logs.resolve("traces.log"));
            }
            Ports.sleep(100);
        }
        return process;
    }

    /** {@code ./sekisho trace [TRACE_ID|last]}: one trace the collector received, as a tree. */
    int trace(String which) {
        List<TraceCollector.CollectedSpan> all = TraceCollector.read(spansFile());
        Optional<String> id = which.equals("last") ? TraceCollector.lastTrace(all) : Optional.of(which.toLowerCase(java.util.Locale.ROOT));
        if (id.isEmpty()) {
            System.err.println("No traces yet in " + spansFile() + " (with SEKISHO_OTLP_ENDPOINT set, look in your own collector).");
            return 1;
        }
        List<TraceCollector.CollectedSpan> trace = TraceCollector.ofTrace(all, id.get());
        System.out.print(TraceCollector.tree(trace));
        return trace.isEmpty() ? 1 : 0;
    }

    int down() {
        Properties saved = load();
        List<String> components = new ArrayList<>(saved.stringPropertyNames().stream()
                .filter(k -> k.endsWith(".pid")).map(k -> k.substring(0, k.length() - 4)).toList());
        // services first, the stores they use last
        components.sort((a, b) -> Integer.compare(stopOrder(a), stopOrder(b)));
        for (String component : components) {
            Optional<ProcessHandle> process = ours(saved, component);
            if (process.isEmpty()) {
                continue;
            }
            System.out.println("Stopping " + component + " (pid " + process.get().pid() + ")");
            if (component.equals("postgres")) {
                postgres().stop();
            } else {
                ServerProcess.stop(process.get(), 20);
            }
        }
        try {
            Files.deleteIfExists(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("Sekisho is stopped; data stays in " + home.resolve("data") + " and " + keycloakHome());
        return 0;
    }

    int status() {
        Properties saved = load();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        boolean allUp = true;
        System.out.printf("%-18s %-8s %-9s %-24s %s%n", "COMPONENT", "PID", "STATE", "URL", "MANAGEMENT");
        for (Component row : components()) {
            Optional<ProcessHandle> process = ours(saved, row.name());
            String stateText;
            if (process.isEmpty()) {
                stateText = "stopped";
            } else if (row.service()) {
                stateText = Suite.isReady(client, row.management()) ? "ready" : "starting";
            } else {
                stateText = "running";
            }
            allUp &= stateText.equals("ready") || stateText.equals("running");
            System.out.printf("%-18s %-8s %-9s %-24s %s%n", row.name(), process.map(p -> String.valueOf(p.pid())).orElse("-"),
                    stateText, row.url(), row.management());
        }
        return allUp ? 0 : 3;
    }

    /** A row of the status table: where it answers, and where its health and metrics are. */
    private record Component(String name, String url, String management, boolean service) {
    }

    private List<Component> components() {
        List<Component> rows = new ArrayList<>();
        rows.add(new Component("postgres", "postgresql://127.0.0.1:" + postgresPort, "", false));
        rows.add(new Component("redis", "redis://127.0.0.1:" + redisPort, "", false));
        String userCollector = System.getenv("SEKISHO_OTLP_ENDPOINT");
        if (userCollector == null || userCollector.isBlank()) {
            rows.add(new Component("traces", "http://127.0.0.1:" + otlpPort, "", false));
        }
        rows.add(new Component("keycloak", "http://127.0.0.1:" + keycloakPort, "http://127.0.0.1:" + keycloakManagementPort, false));
        String scheme = Boolean.parseBoolean(load().getProperty(TLS)) ? "https" : "http"; // the management port stays HTTP
        Suite.defaultPorts().forEach((service, ports) -> rows.add(new Component(service.module(),
                scheme + "://127.0.0.1:" + ports.api(), "http://127.0.0.1:" + ports.management(), true)));
        return rows;
    }

    private void printTable() {
        System.out.println();
        System.out.println("Sekisho is up. REST and gRPC share each service's port; /q/health, /q/metrics and /q/openapi are on");
        System.out.println("its management port (bound to 127.0.0.1).");
        System.out.println();
        status();
        System.out.println();
        System.out.println("Keycloak admin console: http://127.0.0.1:" + keycloakPort + "/admin (admin / admin)");
        System.out.println("Demo login: user " + DEMO_USER + ", password Sekisho-Demo-2026, TOTP secret "
                + "(base32, for an authenticator app) " + base32("sekisho-demo-totp-secret"));
        System.out.println("Logs: " + logs + "   Stop: ./sekisho down");
    }

    private PostgresServer postgres() {
        return new PostgresServer(home.resolve("data/postgres"), postgresPort, "sekisho", "sekisho", logs.resolve("postgres.log"));
    }

    /** ./sekisho keeps its own copy of the Keycloak the build unpacked: its H2 database lives inside it. */
    private Path keycloakHome() {
        Path copy = home.resolve("keycloak");
        if (!Files.isDirectory(copy)) {
            Path unpacked = SharedServers.keycloakHome();
            if (!Files.isDirectory(unpacked)) {
                throw new IllegalStateException("Keycloak is not unpacked at " + unpacked + ": run ./mvnw package first");
            }
            copyTree(unpacked, copy);
        }
        return copy;
    }

    private static int stopOrder(String component) {
        return switch (component) {
            case "keycloak" -> 1;
            case "redis" -> 2;
            case "postgres" -> 3;
            case "traces" -> 4;
            default -> 0;
        };
    }

    /** The saved process, if it is still the one we started (a reused pid has another start time). */
    private static Optional<ProcessHandle> ours(Properties saved, String component) {
        String pid = saved.getProperty(component + ".pid");
        String started = saved.getProperty(component + ".started");
        if (pid == null) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(pid)).filter(ProcessHandle::isAlive)
                .filter(p -> started == null || p.info().startInstant().map(i -> i.toString().equals(started)).orElse(true));
    }

    private Map<String, Long> aliveProcesses() {
        Properties saved = load();
        Map<String, Long> alive = new LinkedHashMap<>();
        for (String key : saved.stringPropertyNames()) {
            if (key.endsWith(".pid")) {
                String component = key.substring(0, key.length() - 4);
                ours(saved, component).ifPresent(p -> alive.put(component, p.pid()));
            }
        }
        return alive;
    }

    /** The state file's mark of a suite started with {@code up --tls}. */
    private static final String TLS = "tls";
    private boolean tls;

    private void save(Map<String, Long> pids) {
        Properties properties = new Properties();
        pids.forEach((component, pid) -> {
            properties.setProperty(component + ".pid", String.valueOf(pid));
            ProcessHandle.of(pid).flatMap(p -> p.info().startInstant())
                    .ifPresent(i -> properties.setProperty(component + ".started", i.toString()));
        });
        try {
            Files.createDirectories(state.getParent());
            try (OutputStream out = Files.newOutputStream(state)) {
                if (tls) {
                properties.setProperty(TLS, "true"); // for ./sekisho status: the services answer HTTPS
            }
            properties.store(out, "processes started by ./sekisho up at " + Instant.now());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Properties load() {
        Properties properties = new Properties();
        if (Files.exists(state)) {
            try (InputStream in = Files.newInputStream(state)) {
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return properties;
    }

    private static void requireFree(int port) {
        if (Ports.isListening("127.0.0.1", port)) {
            throw new IllegalStateException("port " + port + " is already in use; stop what uses it or see README"
                    + " (Configuration) for the SEKISHO_*_PORT variables");
        }
    }

    private static int envPort(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    private static void copyTree(Path from, Path to) {
        try (var paths = Files.walk(from)) {
            for (Path source : paths.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    /** RFC 4648 base32 without padding: how authenticator apps take a secret. */
    static String base32(String secret) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        byte[] bytes = secret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }
}
