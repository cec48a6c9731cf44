package dev.sekisho.launcher;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.ServerProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The five services as real processes, started from their built quarkus-app jars and configured through
 * environment variables the way compose configures them. Used by the integration tests and by ./sekisho.
 */
public final class Suite {

    /** The stores and identity provider the services are pointed at. */
    public record Backends(PostgresServer.Connection postgres, String redisUrl, String keycloakUrl) {
    }

    private final Path repoRoot;
    private final Path logs;
    private final Backends backends;
    private final Map<SekishoService, ServicePorts> ports;
    private final Map<SekishoService, ServiceLauncher> processes = new EnumMap<>(SekishoService.class);
    private final List<ServiceLauncher> extras = new ArrayList<>();
    private final Map<String, String> extraEnvironment = new HashMap<>();
    private String traceEndpoint;
    private Path certificates;
    private String databaseSuffix = "";

    public Suite(Path repoRoot, Path logs, Backends backends, Map<SekishoService, ServicePorts> ports) {
        this.repoRoot = repoRoot;
        this.logs = logs;
        this.backends = backends;
        this.ports = new EnumMap<>(ports);
    }

    public static Map<SekishoService, ServicePorts> defaultPorts() {
        Map<SekishoService, ServicePorts> ports = new EnumMap<>(SekishoService.class);
        for (SekishoService service : SekishoService.values()) {
            ports.put(service, new ServicePorts(service.defaultPort(), service.defaultManagementPort()));
        }
        return ports;
    }

    public static Map<SekishoService, ServicePorts> freePorts() {
        Map<SekishoService, ServicePorts> ports = new EnumMap<>(SekishoService.class);
        for (SekishoService service : SekishoService.values()) {
            ports.put(service, ServicePorts.free());
        }
        return ports;
    }

    /** Starts every service and waits until all of them report ready. */
    public Map<SekishoService, Process> start(Duration readyTimeout) {
        for (SekishoService service : SekishoService.values()) {
            Path jar = service.runnableJar(repoRoot);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build first (./mvnw package)");
            }
            if (service.database() != null) {
                PostgresServer.createDatabase(backends.postgres().withDatabase("postgres"), database(service));
            }
        }
        for (SekishoService service : SekishoService.values()) {
            processes.put(service, ServiceLauncher.launch(repoRoot, service, ports.get(service), environment(service), log(service)));
        }
        awaitReady(readyTimeout);
        awaitDefiniteLogin(readyTimeout);
        Map<SekishoService, Process> started = new EnumMap<>(SekishoService.class);
        processes.forEach((service, launched) -> started.put(service, launched.process()));
        return started;
    }

    /**
     * Databases of this suite's own on the shared server ({@code sekisho_audit_cluster} for the suffix {@code _cluster}):
     * a second suite in the same test run then keeps its own audit chain, alerts and playbook actions, which the first
     * suite's instances would otherwise serve (an alert's block taken by the other suite's alert-service).
     */
    public Suite withOwnDatabases(String suffix) {
        if (!suffix.matches("_[a-z0-9_]{1,20}")) {
            throw new IllegalArgumentException("a database suffix is '_' and lower-case letters, digits or '_': " + suffix);
        }
        this.databaseSuffix = suffix;
        return this;
    }

    private String database(SekishoService service) {
        return service.database() + databaseSuffix;
    }

    /** Extra environment for every service (e.g. SEKISHO_RATELIMIT_POLICIES_DIR), before start. */
    public Suite withEnvironment(String name, String value) {
        extraEnvironment.put(name, value);
        return this;
    }

    /**
     * Where the services export their spans (OTLP/gRPC) when SEKISHO_OTLP_ENDPOINT does not say: a
     * {@link TraceCollector}. Without either, tracing is off.
     */
    public Suite withTraceEndpoint(String endpoint) {
        this.traceEndpoint = endpoint;
        return this;
    }

    /**
     * Every API port serves TLS only (HTTPS and gRPC over TLS) with the certificates of {@code scripts/dev-certs.sh} in
     * {@code directory}, gRPC between the services is mTLS (each presents its own certificate) and every gRPC API
     * requires a verified client certificate. Management ports stay plain HTTP on 127.0.0.1 (probes, Prometheus).
     */
    public Suite withTls(Path directory) {
        this.certificates = directory.toAbsolutePath();
        return this;
    }

    /** The development CA the suite's certificates chain to, or null without TLS. */
    public Path certificateAuthority() {
        return certificates == null ? null : certificates.resolve("ca.crt");
    }

    /** A certificate and key of {@code scripts/dev-certs.sh} (auth, ..., gateway, operator), or null without TLS. */
    public Path certificate(String name) {
        return certificates == null ? null : certificates.resolve(name + ".crt");
    }

    /** Another instance of a service on its own port, sharing the same stores; waits until it is ready. */
    public String startAnother(SekishoService service, int port, Duration readyTimeout) {
        return startInstance(service, ServicePorts.withFreeManagement(port), readyTimeout).url();
    }

    /** Another instance of a service on the ports given, sharing the same stores; waits until it is ready. */
    public ServiceLauncher startInstance(SekishoService service, ServicePorts instancePorts, Duration readyTimeout) {
        Path log = logs.resolve(service.module() + "-" + instancePorts.api() + ".log");
        ServiceLauncher launched = ServiceLauncher.launch(repoRoot, service, instancePorts, environment(service), log);
        extras.add(launched);
        launched.awaitReady(readyTimeout, log);
        return launched;
    }

    /** The service's API: REST and gRPC. */
    public String url(SekishoService service) {
        return (certificates == null ? "http" : "https") + "://127.0.0.1:" + ports.get(service).api();
    }

    /** The service's management interface: /q/health, /q/metrics, /q/openapi. */
    public String managementUrl(SekishoService service) {
        return "http://127.0.0.1:" + ports.get(service).management();
    }

    public int port(SekishoService service) {
        return ports.get(service).api();
    }

    /** Stops one service of the suite (an outage); {@link #restart} starts it again on the same ports and stores. */
    public void stop(SekishoService service) {
        ServiceLauncher running = processes.remove(service);
        if (running != null) {
            running.stop();
        }
    }

    /** Starts a service stopped with {@link #stop(SekishoService)} again and waits until it is ready. */
    public void restart(SekishoService service, Duration readyTimeout) {
        if (processes.containsKey(service)) {
            throw new IllegalStateException(service.module() + " is running");
        }
        ServiceLauncher launched = ServiceLauncher.launch(repoRoot, service, ports.get(service), environment(service), log(service));
        processes.put(service, launched);
        launched.awaitReady(readyTimeout, log(service));
    }

    public void stop() {
        extras.forEach(ServiceLauncher::stop);
        extras.clear();
        processes.values().forEach(ServiceLauncher::stop);
        processes.clear();
    }

    private Path log(SekishoService service) {
        return logs.resolve(service.module() + ".log");
    }

    /** The same variables compose sets: Quarkus' own names, plus sekisho.* keys. */
    public Map<String, String> environment(SekishoService service) {
        Map<String, String> env = new HashMap<>();
        // a local start: the published development secrets of the local Keycloak are accepted (never in prod)
        env.put("QUARKUS_PROFILE", "local");
        env.put("SEKISHO_KEYCLOAK_URL", backends.keycloakUrl());
        env.put("QUARKUS_REDIS_HOSTS", backends.redisUrl());
        if (service.database() != null) {
            PostgresServer.Connection db = backends.postgres().withDatabase(database(service));
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl());
            env.put("QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl());
            env.put("QUARKUS_DATASOURCE_USERNAME", db.user());
            env.put("QUARKUS_DATASOURCE_PASSWORD", db.password());
        }
        String otlp = otlpEndpoint();
        if (otlp == null) {
            env.put("QUARKUS_OTEL_SDK_DISABLED", "true");
        } else {
            env.put("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
            // spans leave within a second of ending (the SDK's default waits five), so a trace is whole soon after a request
            env.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "1s");
        }
        env.put("SEKISHO_RATELIMIT_POLICIES_DIR", repoRoot.resolve("deploy/ratelimit").toString());
        env.put("SEKISHO_SECRETS_POLICIES_DIR", repoRoot.resolve("deploy/secrets").toString());
        env.put("SEKISHO_ALERT_RULES_DIR", repoRoot.resolve("deploy/alert/rules").toString());
        env.put("SEKISHO_ALERT_ROUTING_DIR", repoRoot.resolve("deploy/alert/routing").toString());
        // next to the logs, i.e. in the data directory: the audit signing key must outlive restarts
        env.put("SEKISHO_AUDIT_SIGNING_KEY_FILE", logs.toAbsolutePath().getParent().resolve("audit-signing.key").toString());
        // gRPC clients are named after the peer's API: auth, ratelimit, secrets, audit, alerts
        env.put("QUARKUS_GRPC_CLIENTS_AUTH_PORT", String.valueOf(ports.get(SekishoService.AUTH).api()));
        env.put("QUARKUS_GRPC_CLIENTS_RATELIMIT_PORT", String.valueOf(ports.get(SekishoService.RATELIMIT).api()));
        env.put("QUARKUS_GRPC_CLIENTS_SECRETS_PORT", String.valueOf(ports.get(SekishoService.SECRETS).api()));
        env.put("QUARKUS_GRPC_CLIENTS_AUDIT_PORT", String.valueOf(ports.get(SekishoService.AUDIT).api()));
        env.put("QUARKUS_GRPC_CLIENTS_ALERTS_PORT", String.valueOf(ports.get(SekishoService.ALERT).api()));
        if (certificates != null) {
            tls(service, env);
        }
        env.putAll(extraEnvironment);
        return env;
    }

    /**
     * TLS settings go to the service as a properties file of its own (SMALLRYE_CONFIG_LOCATIONS): the TLS registry's
     * PEM key pairs are a map keyed by name, which an environment variable cannot name unambiguously.
     */
    private void tls(SekishoService service, Map<String, String> env) {
        String own = service.name().toLowerCase(java.util.Locale.ROOT);
        String ca = certificates.resolve("ca.crt").toString();
        String cert = certificates.resolve(own + ".crt").toString();
        String key = certificates.resolve(own + ".key").toString();
        java.util.Properties tls = new java.util.Properties();
        // a named configuration: the default one would put the management interface on TLS too
        tls.setProperty("quarkus.tls.sekisho.key-store.pem.0.cert", cert);
        tls.setProperty("quarkus.tls.sekisho.key-store.pem.0.key", key);
        tls.setProperty("quarkus.tls.sekisho.trust-store.pem.certs", ca);
        tls.setProperty("quarkus.http.tls-configuration-name", "sekisho");
        tls.setProperty("quarkus.http.insecure-requests", "disabled");
        tls.setProperty("quarkus.grpc.server.plain-text", "false");
        tls.setProperty("sekisho.tls.grpc-client-certificates", "required");
        for (String client : List.of("auth", "ratelimit", "secrets", "audit", "alerts")) {
            String prefix = "quarkus.grpc.clients." + client + ".";
            tls.setProperty(prefix + "host", "localhost");
            tls.setProperty(prefix + "plain-text", "false");
            tls.setProperty(prefix + "ssl.trust-store", ca);
            tls.setProperty(prefix + "ssl.certificate", cert);
            tls.setProperty(prefix + "ssl.key", key);
        }
        Path file = certificates.resolve(own + "-tls.properties");
        try (var out = Files.newOutputStream(file)) {
            tls.store(out, "TLS for " + service.module() + " (Suite.withTls)");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file, e);
        }
        env.put("SMALLRYE_CONFIG_LOCATIONS", file.toString());
    }

    /** An SSL context that trusts the suite's CA (and nothing else), for clients of a TLS suite. */
    public javax.net.ssl.SSLContext trustingSuite() {
        try (var in = Files.newInputStream(certificateAuthority())) {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("sekisho-ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
            javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the suite's CA " + certificateAuthority(), e);
        }
    }

    /** SEKISHO_OTLP_ENDPOINT (a collector or Jaeger of the user's) over the suite's own collector; null when neither. */
    public String otlpEndpoint() {
        String configured = System.getenv("SEKISHO_OTLP_ENDPOINT");
        return configured != null && !configured.isBlank() ? configured : traceEndpoint;
    }

    private void awaitReady(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<SekishoService> waiting = new ArrayList<>(processes.keySet());
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext();) {
                SekishoService service = it.next();
                ServiceLauncher launched = processes.get(service);
                if (!launched.process().isAlive()) {
                    throw new IllegalStateException(service.module() + " exited with " + launched.process().exitValue() + ":\n"
                            + ServerProcess.tail(log(service)));
                }
                if (launched.isReady(client)) {
                    it.remove();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + timeout + ": " + waiting);
            }
            Ports.sleep(300);
        }
    }

    /**
     * Ready is not enough for a newcomer: a login of a user that does not exist must get its definite answer (401)
     * before the suite counts as started. It appears in the audit log as one failed login of {@code sekisho-start-check}.
     */
    private void awaitDefiniteLogin(Duration timeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
        if (certificates != null) {
            builder.sslContext(trustingSuite());
        }
        HttpClient client = builder.build();
        HttpRequest login = HttpRequest.newBuilder(URI.create(url(SekishoService.AUTH) + "/v1/auth/token"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"sekisho-start-check\",\"password\":\"not-a-password\","
                        + "\"totp\":\"000000\"}"))
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        int last = 0;
        while (System.nanoTime() < deadline) {
            try {
                last = client.send(login, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (last == 401) {
                    return;
                }
            } catch (IOException e) {
                last = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            Ports.sleep(500);
        }
        throw new IllegalStateException("auth-service is ready but a login does not get a definite answer (last: " + last
                + "); see " + log(SekishoService.AUTH));
    }

    /** Whether the service whose management interface is at {@code managementUrl} reports ready. */
    public static boolean isReady(HttpClient client, String managementUrl) {
        try {
            HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(managementUrl + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

}
