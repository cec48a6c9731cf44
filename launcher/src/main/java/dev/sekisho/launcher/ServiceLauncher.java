package dev.sekisho.launcher;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.ServerProcess;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One service started from its built quarkus-app jar as a process of its own, the way an operator runs it. */
public final class ServiceLauncher {

    private final Process process;
    private final ServicePorts ports;

    private ServiceLauncher(Process process, ServicePorts ports) {
        this.process = process;
        this.ports = ports;
    }

    /** Starts the service on the API port given (its management interface on a free one) without waiting. */
    public static ServiceLauncher launch(Path repoRoot, SekishoService service, int port, Map<String, String> environment, Path log) {
        return launch(repoRoot, service, ServicePorts.withFreeManagement(port), environment, log);
    }

    /** Starts the service without waiting. */
    public static ServiceLauncher launch(Path repoRoot, SekishoService service, ServicePorts ports, Map<String, String> environment,
            Path log) {
        java.util.HashMap<String, String> env = new java.util.HashMap<>(environment);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(ports.api()));
        // the same port when the service is configured for TLS (which then refuses plaintext on it: Suite.withTls)
        env.put("QUARKUS_HTTP_SSL_PORT", String.valueOf(ports.api()));
        env.putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(ports.management()));
        env.putIfAbsent("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions());
        command.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-jar", service.runnableJar(repoRoot).toString()));
        return new ServiceLauncher(ServerProcess.start(command, log, env), ports);
    }

    /**
     * The services' JVM options: small and frugal by default (five services share a laptop, or two CI cores);
     * benchmarks may ask for others with the system property {@code sekisho.service.jvm-options}.
     */
    public static List<String> jvmOptions() {
        return List.of(System.getProperty("sekisho.service.jvm-options", "-Xmx256m -XX:+UseSerialGC").trim().split("\\s+"));
    }

    /** Starts the service and waits until its readiness check is UP. */
    public static ServiceLauncher start(Path repoRoot, SekishoService service, int port, Map<String, String> environment, Path log) {
        ServiceLauncher launched = launch(repoRoot, service, port, environment, log);
        try {
            launched.awaitReady(Duration.ofSeconds(120), log);
        } catch (RuntimeException notReady) {
            launched.stop(); // leave nothing running behind a failed start
            throw notReady;
        }
        return launched;
    }

    public void awaitReady(Duration timeout, Path log) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isReady(client)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("exited with " + process.exitValue() + ":\n" + ServerProcess.tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + timeout + "; see " + log);
            }
            Ports.sleep(300);
        }
    }

    /** Waits for the process to end on its own (a refused start); its exit code, or -1 if it still runs. */
    public int awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public boolean isReady(HttpClient client) {
        return Suite.isReady(client, managementUrl());
    }

    /** The API: REST and gRPC. */
    public String url() {
        return "http://127.0.0.1:" + ports.api();
    }

    /** The management interface: /q/health, /q/metrics, /q/openapi. */
    public String managementUrl() {
        return "http://127.0.0.1:" + ports.management();
    }

    public int port() {
        return ports.api();
    }

    public Process process() {
        return process;
    }

    public void stop() {
        ServerProcess.stop(process.toHandle(), 15);
    }
}
