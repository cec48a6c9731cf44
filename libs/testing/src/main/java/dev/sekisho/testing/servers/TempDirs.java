package dev.sekisho.testing.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Scratch directories of test servers and benchmarks. Each holds a server's data (a filled audit log is 1.7 GB), so
 * it is removed once its server has stopped: repeated runs on one machine must not fill its disk.
 */
public final class TempDirs {

    private TempDirs() {
    }

    public static Path create(String name) {
        try {
            return Files.createTempDirectory("sekisho-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the directory and everything in it; what cannot be removed is reported, not thrown. */
    public static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Binaries.deleteTree(dir);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("sekisho-testing: could not remove " + dir + ": " + e.getMessage());
        }
    }
}
