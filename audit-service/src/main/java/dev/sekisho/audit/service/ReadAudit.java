package dev.sekisho.audit.service;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Every read of the audit log is itself recorded in it: the event is in the outbox before the reader gets the answer,
 * and reaches the chain with the next relay pass, as any other service's events do.
 */
@ApplicationScoped
public class ReadAudit {

    static final String SERVICE = "audit-service";
    /** Filters are recorded as given, up to this length (audit-service's attribute limit is larger). */
    static final int MAX_DETAIL = 256;

    @Inject
    SecurityEvents events;

    public <T> Uni<T> recorded(SecurityIdentity reader, String what, Map<String, String> details, Uni<T> read) {
        return read.call(answer -> {
            Map<String, String> attributes = new LinkedHashMap<>();
            details.forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    attributes.put(k, v.length() > MAX_DETAIL ? v.substring(0, MAX_DETAIL) : v);
                }
            });
            return events.audit("audit.read", Who.of(reader, "", ""), "audit-log", what, Outcome.OUTCOME_SUCCESS, "", attributes);
        });
    }
}
