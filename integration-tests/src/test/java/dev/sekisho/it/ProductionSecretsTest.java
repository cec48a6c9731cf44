package dev.sekisho.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.testing.servers.Ports;

/**
 * The packaged services, started as compose starts them (the prod profile), refuse to run with an unset secret or a
 * published development one, and say which variable to set without printing any value.
 */
class ProductionSecretsTest {

    @Test
    void authServiceWithoutItsSecretsDoesNotStart() throws IOException {
        Map<String, String> env = prod(SekishoService.AUTH);
        String log = refusedStart(SekishoService.AUTH, env);
        assertTrue(log.contains("set SEKISHO_SERVICE_CLIENT_SECRET (sekisho.service.client-secret is unset)"), log);
        assertTrue(log.contains("set SEKISHO_AUTH_CLIENT_SECRET (sekisho.auth.client-secret is unset)"), log);
    }

    @Test
    void ratelimitServiceWithThePublishedSecretDoesNotStart() throws IOException {
        Map<String, String> env = prod(SekishoService.RATELIMIT);
        env.put("SEKISHO_SERVICE_CLIENT_SECRET", "svc-ratelimit-dev-secret");
        String log = refusedStart(SekishoService.RATELIMIT, env);
        assertTrue(log.contains("set SEKISHO_SERVICE_CLIENT_SECRET to a secret of your own"), log);
        assertFalse(log.contains("svc-ratelimit-dev-secret"), "the value is never printed");
    }

    /** The test database's password is the published development one: the database accepts it, the service does not. */
    @Test
    void auditServiceWithAPublishedDatabasePasswordDoesNotStart() throws IOException {
        Map<String, String> env = prod(SekishoService.AUDIT);
        env.put("SEKISHO_SERVICE_CLIENT_SECRET", "a-secret-of-its-own-" + System.nanoTime());
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.Set.of("sekisho", "postgres").contains(env.get("QUARKUS_DATASOURCE_PASSWORD")),
                "an external PostgreSQL with a password of its own");
        String log = refusedStart(SekishoService.AUDIT, env);
        assertTrue(log.contains("set QUARKUS_DATASOURCE_PASSWORD to a secret of your own"), log);
        assertFalse(log.contains("SEKISHO_SERVICE_CLIENT_SECRET"), "a secret of its own passes");
    }

    private static Map<String, String> prod(SekishoService service) {
        Map<String, String> env = new HashMap<>(RunningSuite.get().environment(service));
        env.put("QUARKUS_PROFILE", "prod");
        return env;
    }

    private static String refusedStart(SekishoService service, Map<String, String> env) throws IOException {
        Path log = Files.createTempFile(Path.of("target"), service.module() + "-prod", ".log");
        ServiceLauncher launched = ServiceLauncher.launch(Path.of(System.getProperty("sekisho.root")), service, Ports.free(), env, log);
        try {
            int exit = launched.awaitExit(Duration.ofMinutes(3));
            assertNotEquals(0, exit, "the service refused to start (-1: it still runs)");
        } finally {
            launched.stop();
        }
        return Files.readString(log);
    }
}
