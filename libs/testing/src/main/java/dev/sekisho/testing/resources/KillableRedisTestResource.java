package dev.sekisho.testing.resources;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.RedisServer;
import dev.sekisho.testing.servers.ServerProcess;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TempDirs;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Redis of its own for fault tests: {@link #kill()} stops it and {@link #restart()} brings it back on the same
 * port. The test and the resource may live in different class loaders, so the state is in system properties.
 */
public class KillableRedisTestResource implements QuarkusTestResourceLifecycleManager {

    private static final String PORT = "sekisho.testing.killable-redis.port";
    private static final String PID = "sekisho.testing.killable-redis.pid";
    private static final String DIR = "sekisho.testing.killable-redis.dir";

    @Override
    public Map<String, String> start() {
        Path data = TempDirs.create("killable-redis");
        int port = Ports.free();
        System.setProperty(PORT, String.valueOf(port));
        System.setProperty(DIR, data.toString());
        return Map.of("quarkus.redis.hosts", launch(port, data));
    }

    @Override
    public void stop() {
        kill();
        String dir = System.clearProperty(DIR);
        if (dir != null) {
            TempDirs.delete(Path.of(dir));
        }
    }

    /** Stops the server abruptly (SIGKILL): clients see connections drop and refused. */
    public static void kill() {
        String pid = System.getProperty(PID);
        if (pid != null) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
            System.clearProperty(PID);
        }
    }

    /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung or partitioned node. */
    public static void pause() {
        signal("STOP");
    }

    /** Thaws a paused server (SIGCONT). */
    public static void resume() {
        signal("CONT");
    }

    private static void signal(String name) {
        String pid = System.getProperty(PID);
        if (pid == null) {
            throw new IllegalStateException("the killable Redis is not running");
        }
        ServerProcess.signal(Long.parseLong(pid), name);
    }

    /** Starts a fresh, empty server on the same port. */
    public static void restart() {
        launch(Integer.parseInt(System.getProperty(PORT)), Path.of(System.getProperty(DIR)));
    }

    public static String url() {
        return "redis://127.0.0.1:" + System.getProperty(PORT);
    }

    private static String launch(int port, Path data) {
        RedisServer server = new RedisServer(port, data, SharedServers.logFile("killable-redis"), List.of());
        String url = server.start();
        System.setProperty(PID, String.valueOf(server.pid()));
        return url;
    }
}
