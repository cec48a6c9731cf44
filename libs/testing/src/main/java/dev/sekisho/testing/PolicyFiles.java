package dev.sekisho.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Gathers rate-limit policy files from several directories into one, as ratelimit-service reads one. */
public final class PolicyFiles {

    private PolicyFiles() {
    }

    public static void copy(List<Path> sources, Path target) throws IOException {
        Files.createDirectories(target);
        for (Path source : sources) {
            try (var files = Files.list(source)) {
                for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                    Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
