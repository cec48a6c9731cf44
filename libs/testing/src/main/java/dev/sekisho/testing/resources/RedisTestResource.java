package dev.sekisho.testing.resources;

import dev.sekisho.testing.servers.SharedServers;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Points the default Quarkus Redis client at the JVM's shared Redis. */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("quarkus.redis.hosts", SharedServers.redis());
    }

    @Override
    public void stop() {
        // shared by every test class of this JVM; SharedServers stops it at JVM exit
    }
}
