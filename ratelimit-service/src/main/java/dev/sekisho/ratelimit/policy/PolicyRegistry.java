package dev.sekisho.ratelimit.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.ratelimit.config.RateLimitSettings;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The policies in force, and their hot reload: the directory is checked on a schedule, and a changed set of
 * files is loaded whole. An invalid set is refused with its file, line and reason; the previous policies stay
 * in force and readiness reports the refusal.
 */
@ApplicationScoped
public class PolicyRegistry {

    /** The state readiness reports. */
    public record Status(boolean loaded, int domains, int files, Instant loadedAt, String rejection) {
    }

    private static final Logger LOG = Logger.getLogger(PolicyRegistry.class);

    @Inject
    RateLimitSettings settings;

    private volatile PolicySet current = PolicySet.EMPTY;
    private volatile Status status = new Status(false, 0, 0, null, null);
    private volatile String lastSeen = "";

    void onStart(@Observes StartupEvent event) {
        reload();
    }

    public PolicySet current() {
        return current;
    }

    public Status status() {
        return status;
    }

    @Scheduled(every = "${sekisho.ratelimit.reload-interval}", delayed = "${sekisho.ratelimit.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public synchronized void reload() {
        Path dir = Path.of(settings.policiesDir());
        List<Path> files;
        String signature;
        try {
            files = PolicyLoader.files(dir);
            signature = signature(files);
        } catch (IOException e) {
            reject("cannot list " + dir + ": " + e.getMessage());
            return;
        }
        if (signature.equals(lastSeen)) {
            return;
        }
        lastSeen = signature;
        try {
            PolicySet loaded = new PolicyLoader(FailMode.parse(settings.defaultFailMode())).load(files);
            current = loaded;
            status = new Status(true, loaded.domainCount(), files.size(), Instant.now(), null);
            LOG.infof("rate-limit policies loaded: %d domain(s) from %s", loaded.domainCount(), dir.toAbsolutePath());
        } catch (PolicyLoader.InvalidPolicyException e) {
            reject(e.getMessage());
        }
    }

    private void reject(String reason) {
        Status previous = status;
        status = new Status(previous.loaded(), previous.domains(), previous.files(), previous.loadedAt(), reason);
        LOG.errorf("rate-limit policies rejected, %s: %s", previous.loaded() ? "previous policies stay in force" : "no policies in force", reason);
    }

    /** Names, sizes and modification times: a change to any file changes it. */
    private static String signature(List<Path> files) throws IOException {
        List<String> parts = new ArrayList<>();
        for (Path file : files) {
            FileTime modified = Files.getLastModifiedTime(file);
            parts.add(file.getFileName() + ":" + Files.size(file) + ":" + modified.toMillis());
        }
        return String.join("|", parts);
    }
}
