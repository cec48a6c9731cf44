package dev.sekisho.testing.resources;

import dev.sekisho.testing.servers.SharedServers;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Points the suite-wide {@code sekisho.keycloak.url} at the JVM's shared Keycloak (realm sekisho imported). */
public class KeycloakTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("sekisho.keycloak.url", SharedServers.keycloak());
    }

    @Override
    public void stop() {
        // shared by every test class of this JVM; SharedServers stops it at JVM exit
    }
}
