package dev.sekisho.testing.resources;

import dev.sekisho.testing.servers.RedisCluster;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TempDirs;

import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** A three-master Redis Cluster for the test classes that use it, with the Quarkus client in cluster mode. */
public class RedisClusterTestResource implements QuarkusTestResourceLifecycleManager {

    private RedisCluster cluster;
    private Path data;

    @Override
    public Map<String, String> start() {
        data = TempDirs.create("redis-cluster");
        cluster = new RedisCluster(data, SharedServers.logFile("redis-cluster").getParent());
        String hosts = cluster.start();
        return Map.of("quarkus.redis.hosts", hosts, "quarkus.redis.client-type", "cluster");
    }

    @Override
    public void stop() {
        if (cluster != null) {
            cluster.stop();
        }
        TempDirs.delete(data);
    }
}
