package dev.sekisho.testing.servers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real redis-server (the binary embedded-redis ships), run as a child process. */
public final class RedisServer {

    private final int port;
    private final Path dataDir;
    private final Path log;
    private final List<String> extraArgs;
    private Process process;

    public RedisServer(int port, Path dataDir, Path log, List<String> extraArgs) {
        this.port = port;
        this.dataDir = dataDir;
        this.log = log;
        this.extraArgs = List.copyOf(extraArgs);
    }

    public synchronized String start() {
        List<String> command = new ArrayList<>(List.of(Binaries.redisServer().toString(),
                "--port", String.valueOf(port), "--bind", "127.0.0.1", "--dir", dataDir.toString(),
                "--save", "", "--appendonly", "no", "--daemonize", "no"));
        command.addAll(extraArgs);
        dataDir.toFile().mkdirs();
        process = ServerProcess.start(command, log, Map.of());
        Ports.awaitListening("127.0.0.1", port, Duration.ofSeconds(20), process, "redis-server");
        return url();
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the server; a later start() brings it back on the same port (fault-injection tests). */
    public synchronized void stop() {
        if (process != null) {
            ServerProcess.stop(process.toHandle(), 10);
            process = null;
        }
    }
}
