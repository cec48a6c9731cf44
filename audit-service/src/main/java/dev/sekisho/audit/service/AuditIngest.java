package dev.sekisho.audit.service;

import dev.sekisho.audit.repository.AuditAppender;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.CallerPermissions;
import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.security.VerifiedToken;
import io.smallrye.mutiny.Uni;

/**
 * Ingest as both gRPC methods use it: an event is validated and appended to the chain under the name of the service
 * whose verified identity sent it; the payload's own {@code service} field is not believed.
 */
@ApplicationScoped
public class AuditIngest {

    @Inject
    EventValidator validator;

    @Inject
    AuditAppender appender;

    @Inject
    CallerPermissions callers;

    /** The emitting service of the current caller, who must hold {@code audit:record}: its service account's name. */
    public Uni<String> emitter() {
        return callers.require(Permissions.AUDIT_RECORD).map(AuditIngest::serviceOf);
    }

    private static String serviceOf(VerifiedToken token) {
        String service = token.serviceName();
        if (service == null) {
            throw new ProblemException(ProblemType.FORBIDDEN, "Audit events are recorded by service identities only.");
        }
        return service;
    }

    public Uni<AuditAppender.Ack> record(AuditEvent event, String emitter) {
        return Uni.createFrom().deferred(() -> appender.append(validator.toRecord(event, emitter)));
    }
}
