package dev.sekisho.common.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.jboss.logging.Logger;

/**
 * The policies of one directory in force, and their hot reload, the same in every service that has policy files:
 * {@link #reload} (on a schedule) loads a changed set of files whole; an invalid set is refused with its file, line
 * and reason, the previous policies stay in force and {@link #readiness} reports the refusal until a valid set is
 * loaded. Before the first valid set, {@code initial} is in force (deny-all or no limits: the service says which).
 */
public final class PolicyDirectory<T> {

    /** Compiles the files of a directory into the policies they say, or refuses them. */
    @FunctionalInterface
    public interface Compiler<T> {
        T compile(List<Path> files) throws InvalidPolicyException;
    }

    /**
     * What a reload changed, for the audit log: a new set in force ({@code rejection} null: the files added, removed and
     * modified, by name, and the size before and after) or a changed set refused (the reason; the previous set stays).
     */
    public record Change(String what, int sizeBefore, int sizeAfter, List<String> added, List<String> removed, List<String> modified,
            String rejection) {

        public boolean loaded() {
            return rejection == null;
        }

        /** One line for an audit record or a signal: "2 files modified (access.yaml), 12 → 13 rules" or the refusal. */
        public String summary() {
            if (!loaded()) {
                return "refused, the previous set stays in force: " + rejection;
            }
            List<String> parts = new java.util.ArrayList<>();
            if (!added.isEmpty()) {
                parts.add("added " + String.join(", ", added));
            }
            if (!removed.isEmpty()) {
                parts.add("removed " + String.join(", ", removed));
            }
            if (!modified.isEmpty()) {
                parts.add("modified " + String.join(", ", modified));
            }
            return String.join("; ", parts) + " (" + sizeBefore + " -> " + sizeAfter + ")";
        }
    }

    /** What readiness reports: whether a valid set is in force, its size, when it was loaded, the last refusal. */
    public record Status(boolean loaded, int size, int files, Instant loadedAt, String rejection) {
    }

    private final String what;
    private final Compiler<T> compiler;
    private final ToIntFunction<T> size;
    private final boolean filesRequired;
    private final Logger log;
    private volatile T current;
    private volatile Status status = new Status(false, 0, 0, null, null);
    private volatile String lastSeen;
    /** The files of the set in force, by name, with a digest of their content; null before the first valid set. */
    private Map<String, String> inForce;

    /**
     * @param what how the log names them ("rate-limit policies")
     * @param filesRequired whether an empty directory is a refusal (access rules) or an empty set (limits)
     */
    public PolicyDirectory(String what, T initial, Compiler<T> compiler, ToIntFunction<T> size, boolean filesRequired, Logger log) {
        this.what = what;
        this.current = initial;
        this.compiler = compiler;
        this.size = size;
        this.filesRequired = filesRequired;
        this.log = log;
    }

    public T current() {
        return current;
    }

    public Status status() {
        return status;
    }

    /** See {@link #reload(List)}. */
    public synchronized Change reload(Path dir) {
        return reload(List.of(dir));
    }

    /**
     * Loads the files of several directories as one set (each directory's files sorted, the directories in order) if
     * they changed. Returns what changed once a set was in force (null when nothing changed, and for the first set: a
     * service's start is not a change), so that the caller records it.
     */
    public synchronized Change reload(List<Path> dirs) {
        List<Path> files = new java.util.ArrayList<>();
        String signature;
        Path dir = dirs.get(0);
        try {
            for (Path each : dirs) {
                dir = each;
                files.addAll(PolicyFiles.in(each));
            }
            signature = PolicyFiles.signature(files);
        } catch (IOException e) {
            return reject("cannot list " + dir + ": " + e.getMessage());
        }
        if (signature.equals(lastSeen)) {
            return null;
        }
        lastSeen = signature;
        if (filesRequired && files.isEmpty()) {
            return reject("no policy files in " + dirs.stream().map(Path::toAbsolutePath).toList());
        }
        try {
            T loaded = compiler.compile(files);
            Map<String, String> digests = digests(files);
            int before = status.size();
            current = loaded;
            status = new Status(true, size.applyAsInt(loaded), files.size(), Instant.now(), null);
            log.infof("%s loaded: %d from %s", what, status.size(), dirs.stream().map(Path::toAbsolutePath).toList());
            Map<String, String> previous = inForce;
            inForce = digests;
            if (previous == null) {
                return null;
            }
            List<String> added = digests.keySet().stream().filter(f -> !previous.containsKey(f)).sorted().toList();
            List<String> removed = previous.keySet().stream().filter(f -> !digests.containsKey(f)).sorted().toList();
            List<String> modified = digests.keySet().stream().filter(f -> previous.containsKey(f) && !previous.get(f).equals(digests.get(f)))
                    .sorted().toList();
            if (added.isEmpty() && removed.isEmpty() && modified.isEmpty()) {
                return null; // touched, not changed
            }
            return new Change(what, before, status.size(), added, removed, modified, null);
        } catch (InvalidPolicyException e) {
            return reject(e.getMessage());
        } catch (IOException e) {
            return reject("cannot read the files: " + e.getMessage());
        }
    }

    /** Each file's name (as the set names it) and the SHA-256 of its content. */
    private static Map<String, String> digests(List<Path> files) throws IOException {
        Map<String, String> digests = new java.util.TreeMap<>();
        for (Path file : files) {
            try {
                digests.put(file.getFileName().toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(file))));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return digests;
    }

    /** The readiness response: UP once a valid set is in force; {@code sizeLabel} names what {@link Status#size} counts. */
    public HealthCheckResponse readiness(String name, String sizeLabel) {
        Status now = status;
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name).status(now.loaded())
                .withData(sizeLabel, now.size()).withData("files", now.files());
        if (now.loadedAt() != null) {
            response.withData("loadedAt", now.loadedAt().toString());
        }
        if (now.rejection() != null) {
            response.withData("rejected", now.rejection());
        }
        return response.build();
    }

    private Change reject(String reason) {
        Status previous = status;
        status = new Status(previous.loaded(), previous.size(), previous.files(), previous.loadedAt(), reason);
        log.errorf("%s rejected, %s: %s", what, previous.loaded() ? "the previous ones stay in force" : "none in force", reason);
        return new Change(what, previous.size(), previous.size(), List.of(), List.of(), List.of(), reason);
    }
}
