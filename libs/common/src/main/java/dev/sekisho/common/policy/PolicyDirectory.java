package dev.sekisho.common.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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

    public synchronized void reload(Path dir) {
        reload(List.of(dir));
    }

    /** The files of several directories as one set (each directory's files sorted, the directories in order). */
    public synchronized void reload(List<Path> dirs) {
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
            reject("cannot list " + dir + ": " + e.getMessage());
            return;
        }
        if (signature.equals(lastSeen)) {
            return;
        }
        lastSeen = signature;
        if (filesRequired && files.isEmpty()) {
            reject("no policy files in " + dirs.stream().map(Path::toAbsolutePath).toList());
            return;
        }
        try {
            T loaded = compiler.compile(files);
            current = loaded;
            status = new Status(true, size.applyAsInt(loaded), files.size(), Instant.now(), null);
            log.infof("%s loaded: %d from %s", what, status.size(), dirs.stream().map(Path::toAbsolutePath).toList());
        } catch (InvalidPolicyException e) {
            reject(e.getMessage());
        }
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

    private void reject(String reason) {
        Status previous = status;
        status = new Status(previous.loaded(), previous.size(), previous.files(), previous.loadedAt(), reason);
        log.errorf("%s rejected, %s: %s", what, previous.loaded() ? "the previous ones stay in force" : "none in force", reason);
    }
}
