package dev.sekisho.common.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * A directory of YAML policy files, the way every Sekisho service that has them reads them: sorted, at most 1 MiB
 * each, strict (unknown keys and missing numbers are errors), and every error named by file and line. A service
 * compiles what {@link #read} returns and reloads when {@link #signature} changes.
 */
public final class PolicyFiles {

    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private PolicyFiles() {
    }

    /** The .yaml and .yml files of a directory, sorted, so that loading is deterministic; none when it does not exist. */
    public static List<Path> in(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** One file as {@code type}; a record's constructor may throw IllegalArgumentException, reported at its line. */
    public static <T> T read(Path file, Class<T> type) throws InvalidPolicyException {
        String name = file.getFileName().toString();
        String text = "";
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new InvalidPolicyException(name, 0, "larger than 1 MiB");
            }
            text = Files.readString(file);
            T parsed = YAML.readValue(text, type);
            if (parsed == null) {
                throw new InvalidPolicyException(name, 0, "empty file");
            }
            return parsed;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidPolicyException(name, YamlLines.lineOf(text, e.getPath()), cause.getMessage());
        } catch (JsonMappingException e) {
            int line = YamlLines.lineOf(text, e.getPath());
            throw new InvalidPolicyException(name, line > 0 ? line : line(e.getLocation()), e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new InvalidPolicyException(name, line(e.getLocation()), e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidPolicyException(name, 0, "cannot read: " + e.getMessage());
        }
    }

    /** Names, sizes and modification times: a change to any file changes it. */
    public static String signature(List<Path> files) throws IOException {
        List<String> parts = new ArrayList<>();
        for (Path file : files) {
            parts.add(file.getFileName() + ":" + Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis());
        }
        return String.join("|", parts);
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : location.getLineNr();
    }
}
