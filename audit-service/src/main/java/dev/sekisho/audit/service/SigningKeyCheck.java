package dev.sekisho.audit.service;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import dev.sekisho.audit.chain.CheckpointSigner;
import dev.sekisho.audit.repository.AuditAppender;
import io.quarkus.runtime.StartupEvent;

/**
 * The signing key is never silently replaced. At start, a key made because none was found is kept only while the
 * log holds no signed checkpoint; with checkpoints stored, audit-service refuses to start until the key file is back
 * (a new key would make every earlier checkpoint unverifiable, and let whoever removed the file sign a rewritten log).
 */
@ApplicationScoped
public class SigningKeyCheck {

    @Inject
    CheckpointSigner signer;

    @Inject
    AuditAppender appender;

    void atStart(@Observes StartupEvent start) {
        if (!signer.generated()) {
            return;
        }
        long checkpoints = appender.checkpoints().await().atMost(Duration.ofSeconds(30));
        if (checkpoints > 0) {
            throw new IllegalStateException("audit-service refuses to start: its signing key " + signer.file().toAbsolutePath()
                    + " is missing while " + checkpoints + " signed checkpoint(s) exist. Restore the key file (and its .pub);"
                    + " a new key would leave every stored checkpoint unverifiable.");
        }
        signer.persist();
    }
}
