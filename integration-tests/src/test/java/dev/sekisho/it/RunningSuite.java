package dev.sekisho.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.sekisho.testing.fixtures.PolicyFiles;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.launcher.Suite;

/**
 * The five packaged services, started once for every integration test class of this JVM against the shared
 * PostgreSQL, Redis and Keycloak, and stopped when the JVM exits. Rate-limit policies: the suite's own
 * (deploy/ratelimit) plus the integration tests' (src/test/resources/policies). Alerts: the shipped rules, routed as
 * src/test/resources/alert-routing says (high and critical ones to {@link #webhook()}).
 */
final class RunningSuite {

    private static Suite suite;
    private static SecurityTeamWebhook webhook;

    private RunningSuite() {
    }

    /**
     * What every suite the tests start is given: the test clients' source addresses, and the loaded-machine timeouts.
     * Outcomes are tested here, not production timeouts on a two-core machine running ten JVMs: a cold JVM's first
     * login budget check also connects to ratelimit-service, ext_authz's first API-key check to secrets-service (300 ms
     * in production), each service's first revocation-list read of a caller's token may miss Redis' 250 ms, and a service's own token
     * from a busy Keycloak may take longer than 3 s (the TLS suite's auth-service timed out fetching it as it started).
     */
    static Suite onALoadedMachine(Suite suite) {
        // every test client is 127.0.0.1: the login tests name their source address through X-Forwarded-For, as a
        // proxy in front of auth-service would
        return suite.withEnvironment("SEKISHO_AUTH_TRUSTED_PROXIES", "127.0.0.1")
                .withEnvironment("SEKISHO_SECRETS_TRUSTED_PROXIES", "127.0.0.1")
                // a review set past its deadline by a test is closed within seconds, not at the next minute
                .withEnvironment("SEKISHO_SECRETS_REVIEWS_CHECK_INTERVAL", "2s")
                // Keycloak's admin events read every second (5 s in production)
                .withEnvironment("SEKISHO_AUTH_ADMIN_EVENTS_INTERVAL", "1s")
                .withEnvironment("SEKISHO_AUTH_LOGIN_BUDGET_TIMEOUT", "10s")
                .withEnvironment("SEKISHO_AUTH_KEYCLOAK_TIMEOUT", "10s")
                .withEnvironment("SEKISHO_AUTH_API_KEYS_TIMEOUT", "10s")
                .withEnvironment("SEKISHO_TOKENS_REVOCATION_TIMEOUT", "2s")
                .withEnvironment("SEKISHO_SERVICE_TOKEN_TIMEOUT", "10s");
    }

    /** The security team's webhook the suite's alert-service notifies of high and critical alerts. */
    static synchronized SecurityTeamWebhook webhook() {
        get();
        return webhook;
    }

    static synchronized Suite get() {
        if (suite == null) {
            try {
                Path root = Path.of(System.getProperty("sekisho.root"));
                Path logs = Files.createDirectories(Path.of("target", "suite-logs"));
                Path policies = Files.createTempDirectory("sekisho-it-policies");
                PolicyFiles.copy(List.of(root.resolve("deploy/ratelimit"), Path.of("src/test/resources/policies")), policies);
                SecurityTeamWebhook team = new SecurityTeamWebhook();
                Path routing = Files.createTempDirectory("sekisho-it-routing");
                Files.writeString(routing.resolve("routing.yaml"),
                        Files.readString(Path.of("src/test/resources/alert-routing/routing.yaml")).replace("WEBHOOK_URL", team.url()));
                Suite started = onALoadedMachine(new Suite(root, logs,
                        new Suite.Backends(SharedServers.postgres(), SharedServers.redis(), SharedServers.keycloak()),
                        Suite.freePorts()))
                        .withTraceEndpoint(SharedServers.traces().endpoint())
                        .withEnvironment("SEKISHO_RATELIMIT_POLICIES_DIR", policies.toString())
                        .withEnvironment("SEKISHO_ALERT_ROUTING_DIR", routing.toString())
                        .withEnvironment("SEKISHO_TEST_WEBHOOK_SECRET", team.secret())
                        // counting across instances is what is tested here, not the fail-open answer a busy
                        // two-core machine would give past the 50 ms production timeout
                        .withEnvironment("SEKISHO_RATELIMIT_REDIS_TIMEOUT", "1s");
                started.start(Duration.ofSeconds(180));
                Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "sekisho-suite-stop"));
                suite = started;
                webhook = team;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return suite;
    }
}
