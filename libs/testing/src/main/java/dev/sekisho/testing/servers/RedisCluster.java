package dev.sekisho.testing.servers;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of three masters (no replicas) on free ports: each node owns a third of the 16384 slots,
 * they meet, and the cluster is returned once every node reports {@code cluster_state:ok}.
 */
public final class RedisCluster {

    private final List<RedisServer> nodes = new ArrayList<>();

    public RedisCluster(Path dataDir, Path logDir) {
        for (int i = 0; i < 3; i++) {
            int port = Ports.free();
            nodes.add(new RedisServer(port, dataDir.resolve("node-" + port), logDir.resolve("redis-cluster-" + port + ".log"),
                    List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000")));
        }
    }

    /** Starts the nodes and forms the cluster; returns the node URLs, comma-separated (quarkus.redis.hosts). */
    public String start() {
        try {
            for (RedisServer node : nodes) {
                node.start();
            }
            int slotsPerNode = 16384 / nodes.size();
            for (int i = 0; i < nodes.size(); i++) {
                int first = i * slotsPerNode;
                int last = i == nodes.size() - 1 ? 16383 : first + slotsPerNode - 1;
                expectOk(Resp.call(nodes.get(i).url(), "CLUSTER", "ADDSLOTSRANGE", String.valueOf(first), String.valueOf(last)));
            }
            for (int i = 1; i < nodes.size(); i++) {
                expectOk(Resp.call(nodes.get(0).url(), "CLUSTER", "MEET", "127.0.0.1", String.valueOf(nodes.get(i).port())));
            }
            awaitClusterOk(Duration.ofSeconds(30));
            return hosts();
        } catch (IOException e) {
            stop();
            throw new IllegalStateException("cannot form a Redis Cluster: " + e.getMessage(), e);
        }
    }

    public String hosts() {
        return String.join(",", nodes.stream().map(RedisServer::url).toList());
    }

    public void stop() {
        nodes.forEach(RedisServer::stop);
    }

    private void awaitClusterOk(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean ok = true;
            for (RedisServer node : nodes) {
                String info = Resp.call(node.url(), "CLUSTER", "INFO");
                ok &= info != null && info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + nodes.size());
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("cluster not ok within " + timeout);
            }
            Ports.sleep(100);
        }
    }

    private static void expectOk(String reply) throws IOException {
        if (!"+OK".equals(reply)) {
            throw new IOException("unexpected reply " + reply);
        }
    }
}
