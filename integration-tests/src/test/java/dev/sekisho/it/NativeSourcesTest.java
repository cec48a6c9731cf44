package dev.sekisho.it;

import static dev.sekisho.it.ServiceConfiguration.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.testing.servers.TempDirs;

/**
 * The native build up to the point where it needs GraalVM's linker, which this machine does not have: the {@code native}
 * profile ({@code quarkus.native.sources-only}) runs for every service in a copy of the source tree, and what it hands
 * to {@code native-image} registers what the service needs at run time: the error model and every Hibernate entity for
 * reflection, every Lua script and database migration as a resource. The same sources are what
 * {@code src/main/docker/Dockerfile.native} compiles.
 */
class NativeSourcesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NOT_COPIED = Set.of("target", ".git", ".sekisho", "node_modules");
    private static Path copy;

    @BeforeAll
    static void buildTheNativeSources() throws IOException, InterruptedException {
        copy = TempDirs.create("native-sources");
        copyTree(ROOT, copy);
        String services = Stream.of(SekishoService.values()).map(SekishoService::module).collect(Collectors.joining(","));
        Path log = Path.of("target", "native-sources-build.log").toAbsolutePath();
        Process build = new ProcessBuilder("bash", "./mvnw", "-B", "-ntp", "-q", "-Pnative", "package", "-DskipTests", "-pl", services, "-am")
                .directory(copy.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = build.waitFor(20, TimeUnit.MINUTES);
        if (!ended) {
            build.destroyForcibly();
        }
        assertTrue(ended && build.exitValue() == 0, "the native-sources build failed; see " + log);
    }

    @ParameterizedTest
    @EnumSource(SekishoService.class)
    void whatNativeImageIsGivenRegistersWhatTheServiceNeeds(SekishoService service) throws IOException {
        Path sources = copy.resolve(service.module()).resolve("target/native-sources");
        String args = Files.readString(sources.resolve("native-image.args"));
        assertTrue(args.contains("--no-fallback"), "a native image that cannot fall back to a JVM");

        Path runner;
        try (Stream<Path> files = Files.list(sources)) {
            runner = files.filter(f -> f.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no runner jar in " + sources));
        }
        Set<String> reflected = new java.util.HashSet<>();
        List<Pattern> resources = new ArrayList<>(); // native-image's resource patterns are regular expressions
        try (ZipFile jar = new ZipFile(runner.toFile())) {
            for (JsonNode type : read(jar, "META-INF/native-image/reflect-config.json")) {
                reflected.add(type.path("name").asText());
            }
            for (JsonNode include : read(jar, "META-INF/native-image/resource-config.json").path("resources").path("includes")) {
                resources.add(Pattern.compile(include.path("pattern").asText()));
            }
        }

        Path module = ROOT.resolve(service.module());
        List<String> missing = new ArrayList<>();
        for (String type : entities(module)) {
            if (!reflected.contains(type)) {
                missing.add("entity " + type);
            }
        }
        for (String resource : resources(module.resolve("src/main/resources"), "lua", "db")) {
            if (resources.stream().noneMatch(p -> p.matcher(resource).matches())) {
                missing.add("resource " + resource);
            }
        }
        assertEquals(List.of(), missing, service.module() + ": not registered for the native image");
        assertTrue(reflected.stream().anyMatch(t -> t.startsWith("dev.sekisho.") && t.contains(".v1.")),
                service.module() + ": its gRPC messages are registered");
    }

    /** The classes annotated {@code @Entity} in the service's sources. */
    private static List<String> entities(Path module) throws IOException {
        Path java = module.resolve("src/main/java");
        try (Stream<Path> files = Files.walk(java)) {
            return files.filter(f -> f.toString().endsWith(".java")).filter(f -> read(f).contains("@Entity")).map(f -> java.relativize(f)
                    .toString().replace('/', '.').replaceAll("\\.java$", "")).sorted().toList();
        }
    }

    /** The files under {@code resources}' folders {@code roots}, as class-path resource names. */
    private static List<String> resources(Path resources, String... roots) throws IOException {
        List<String> found = new ArrayList<>();
        for (String root : roots) {
            Path folder = resources.resolve(root);
            if (Files.isDirectory(folder)) {
                try (Stream<Path> files = Files.walk(folder)) {
                    files.filter(Files::isRegularFile).map(f -> resources.relativize(f).toString().replace('\\', '/')).forEach(found::add);
                }
            }
        }
        return found;
    }

    private static JsonNode read(ZipFile jar, String entry) throws IOException {
        var found = jar.getEntry(entry);
        assertTrue(found != null, entry + " in the runner jar");
        try (InputStream in = jar.getInputStream(found)) {
            return JSON.readTree(in);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                if (!dir.equals(from) && NOT_COPIED.contains(dir.getFileName().toString())) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
