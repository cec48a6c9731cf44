package dev.sekisho.it.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.launcher.ServiceLauncher;

/**
 * A benchmark's yardstick server ({@link LeanDecisionServer}, {@link LeanLoginServer}): started as a process of its
 * own from the benchmark's classpath, with the services' JVM options, so that it competes for the cores as a
 * service does.
 */
final class Yardstick {

    private Yardstick() {
    }

    /** Starts {@code main} with the arguments and waits until it listens on the port. */
    static Process start(Class<?> main, int port, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ServiceLauncher.jvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName(), String.valueOf(port)));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        Ports.awaitListening("127.0.0.1", port, Duration.ofSeconds(60), process, main.getSimpleName() + " (see " + log + ")");
        return process;
    }
}
