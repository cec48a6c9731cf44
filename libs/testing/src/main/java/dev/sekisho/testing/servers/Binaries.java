package dev.sekisho.testing.servers;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The server binaries that Maven brings as jars (PostgreSQL from zonky's binaries artifact, redis-server from
 * embedded-redis), extracted once into a cache directory shared by every test JVM and by ./sekisho.
 */
public final class Binaries {

    static final String POSTGRES_ARCHIVE = "postgres-linux-x86_64.txz";
    static final String REDIS_BINARY = "redis-server-7.0.15-linux-amd64";

    private Binaries() {
    }

    /** Directory the binaries are cached in: SEKISHO_BINARIES or the system temp directory. */
    public static Path cacheRoot() {
        String configured = System.getenv("SEKISHO_BINARIES");
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "sekisho-binaries-" + System.getProperty("user.name"));
    }

    /** PostgreSQL's installation directory (bin, lib, share). */
    public static Path postgres() {
        Path home = cacheRoot().resolve("postgres-" + resourceVersion(POSTGRES_ARCHIVE));
        return extractOnce(home, target -> {
            try (InputStream raw = resource(POSTGRES_ARCHIVE);
                    TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(raw)))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path out = target.resolve(entry.getName()).normalize();
                    if (!out.startsWith(target)) {
                        throw new IOException("archive entry outside target: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                        if ((entry.getMode() & 0100) != 0) {
                            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
                        }
                    }
                }
            }
        });
    }

    /** The redis-server executable. */
    public static Path redisServer() {
        Path home = cacheRoot().resolve("redis-7.0.15");
        extractOnce(home, target -> {
            Path binary = target.resolve("redis-server");
            try (InputStream in = resource(REDIS_BINARY)) {
                Files.copy(in, binary, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        });
        return home.resolve("redis-server");
    }

    private interface Extraction {
        void into(Path target) throws IOException;
    }

    /** Extracts into a sibling temp directory and renames it, so a half-extracted tree is never used. */
    private static synchronized Path extractOnce(Path home, Extraction extraction) {
        if (Files.isDirectory(home)) {
            return home;
        }
        try {
            Files.createDirectories(home.getParent());
            Path staging = Files.createTempDirectory(home.getParent(), home.getFileName() + ".tmp");
            extraction.into(staging);
            try {
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isDirectory(home)) {
                    throw raced;
                }
                deleteTree(staging);
            }
            return home;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + home.getFileName(), e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Binaries.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the classpath (is the binaries artifact a dependency?)");
        }
        return in;
    }

    /** Distinguishes cache directories by the jar the resource comes from, so an upgrade re-extracts. */
    private static String resourceVersion(String name) {
        String url = String.valueOf(Binaries.class.getClassLoader().getResource(name));
        int slash = url.lastIndexOf('/', url.indexOf("!/") > 0 ? url.indexOf("!/") : url.length());
        String jar = slash >= 0 ? url.substring(slash + 1) : url;
        return jar.replaceAll("[^A-Za-z0-9.\\-]", "_").replaceAll("\\.jar.*$", "");
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
