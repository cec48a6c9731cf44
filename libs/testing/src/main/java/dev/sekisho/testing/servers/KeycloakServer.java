package dev.sekisho.testing.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real Keycloak from keycloak-quarkus-dist (unpacked by the build), started with {@code kc.sh start-dev
 * --import-realm} and the project's realm file, for tests and ./sekisho only: it gets the suite's published
 * development client secrets ({@link #DEVELOPMENT_SECRETS}), which the realm file itself does not carry, and the demo
 * users and clients of {@code sekisho-dev-users.json} beside the realm file, which compose never imports.
 */
public final class KeycloakServer {

    public static final String REALM = "sekisho";

    /** The realm's client secrets as tests and ./sekisho use them; published, so refused by every service in prod. */
    public static final Map<String, String> DEVELOPMENT_SECRETS = Map.of(
            "SEKISHO_AUTH_CLIENT_SECRET", "sekisho-auth-dev-secret",
            "SEKISHO_SVC_AUTH_SECRET", "svc-auth-dev-secret",
            "SEKISHO_SVC_RATELIMIT_SECRET", "svc-ratelimit-dev-secret",
            "SEKISHO_SVC_SECRETS_SECRET", "svc-secrets-dev-secret",
            "SEKISHO_SVC_AUDIT_SECRET", "svc-audit-dev-secret",
            "SEKISHO_SVC_ALERT_SECRET", "svc-alert-dev-secret");

    private final Path home;
    private final Path realmFile;
    private final int httpPort;
    private final int managementPort;
    private final boolean inMemory;
    private final Path log;
    private String tracingEndpoint;
    private Process process;

    /**
     * @param inMemory true for tests (dev-mem database: every start imports a fresh realm), false for ./sekisho
     *                 (dev-file database under the Keycloak home: state survives restarts)
     */
    public KeycloakServer(Path home, Path realmFile, int httpPort, int managementPort, boolean inMemory, Path log) {
        this.home = home;
        this.realmFile = realmFile;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.inMemory = inMemory;
        this.log = log;
    }

    /**
     * Keycloak exports its spans (OTLP/gRPC) to {@code endpoint}, so that a token grant made for a login is a span of
     * that login's trace (the caller's traceparent is honoured). Before {@link #start}.
     */
    public KeycloakServer withTracing(String endpoint) {
        this.tracingEndpoint = endpoint;
        return this;
    }

    public synchronized String start(Duration timeout) {
        if (!Files.isExecutable(home.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("no Keycloak at " + home + ": run the build (./mvnw verify) to unpack it,"
                    + " or set SEKISHO_TEST_KEYCLOAK_URL to a running Keycloak with the sekisho realm");
        }
        try {
            Path imports = Files.createDirectories(home.resolve("data/import"));
            Files.copy(realmFile, imports.resolve("sekisho-realm.json"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the realm file " + realmFile, e);
        }
        List<String> command = new java.util.ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm",
                "--http-host=127.0.0.1", "--http-port=" + httpPort, "--http-management-port=" + managementPort,
                "--db=" + (inMemory ? "dev-mem" : "dev-file"), "--health-enabled=true", "--log-level=warn"));
        if (tracingEndpoint != null) {
            command.addAll(List.of("--tracing-enabled=true", "--tracing-endpoint=" + tracingEndpoint));
        }
        Map<String, String> environment = new java.util.HashMap<>(Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m",
                "KC_BOOTSTRAP_ADMIN_USERNAME", "admin",
                "KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword()));
        environment.putAll(DEVELOPMENT_SECRETS);
        if (inMemory) {
            // Tests fail logins back to back on purpose; Keycloak's quick-login lockout would turn the next
            // test's valid login into a 60 s lockout. Throttling is auth-service's job and is tested there.
            environment.put("SEKISHO_KC_QUICK_LOGIN_CHECK_MS", "0");
        }
        process = ServerProcess.start(command, log, environment);
        awaitRealm(timeout);
        importDevelopmentUsers();
        return url();
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized void stop() {
        if (process != null) {
            ServerProcess.stop(process.toHandle(), 20);
            process = null;
        }
    }

    /** The demo users and clients, added through the admin API's partial import (existing ones are left alone). */
    private void importDevelopmentUsers() {
        Path users = realmFile.resolveSibling("sekisho-dev-users.json");
        if (!Files.exists(users)) {
            return;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            String form = "grant_type=password&client_id=admin-cli&username=admin&password="
                    + java.net.URLEncoder.encode(adminPassword(), java.nio.charset.StandardCharsets.UTF_8);
            HttpResponse<String> login = client.send(HttpRequest.newBuilder(URI.create(url() + "/realms/master/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher token = java.util.regex.Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(login.body());
            if (login.statusCode() != 200 || !token.find()) {
                throw new IllegalStateException("Keycloak's admin login answered " + login.statusCode());
            }
            HttpResponse<String> imported = client.send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + REALM + "/partialImport"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token.group(1))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofFile(users)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (imported.statusCode() != 200) {
                throw new IllegalStateException("Keycloak refused the development users (" + imported.statusCode() + "): "
                        + imported.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot import the development users into Keycloak", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String adminPassword() {
        return System.getenv().getOrDefault("SEKISHO_KEYCLOAK_ADMIN_PASSWORD", "admin");
    }

    private void awaitRealm(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI discovery = URI.create(url() + "/realms/" + REALM + "/.well-known/openid-configuration");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + "; see " + log + ":\n"
                        + ServerProcess.tail(log));
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(discovery)
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            Ports.sleep(250);
        }
        stop();
        throw new IllegalStateException("Keycloak was not ready within " + timeout + "; see " + log + ":\n"
                + ServerProcess.tail(log));
    }
}
