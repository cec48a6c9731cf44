package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.api.AuditLimits;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import dev.sekisho.ratelimit.repository.BlockStore;
import dev.sekisho.ratelimit.repository.BlockStore.Block;
import dev.sekisho.ratelimit.repository.BlockStore.IdentityType;
import io.smallrye.mutiny.Uni;

/**
 * Block and unblock identities, validated the same way for gRPC and REST, and audited: each change is in the outbox
 * for audit-service before the caller hears it was made. (The block is written first; if its audit record cannot
 * be stored the caller gets an error and may repeat the request, which only renews the block.)
 */
@ApplicationScoped
public class BlockCommands {

    static final Duration LONGEST = Duration.ofDays(30);

    @Inject
    BlockStore store;

    @Inject
    SecurityEvents events;

    @Inject
    CurrentIdentityAssociation identities;

    @Inject
    RateLimitSettings settings;

    public Uni<Block> block(String type, String value, Duration duration, String reason) {
        return caller().flatMap(requestedBy -> {
            IdentityType identity = type(type);
            requireValue(value);
            if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(LONGEST) > 0) {
                throw ProblemException.badRequest("duration must be between 1 second and 30 days");
            }
            if (reason != null && reason.length() > 500) {
                throw ProblemException.badRequest("reason must be at most 500 characters");
            }
            return store.block(identity, value, duration, reason == null ? "" : reason, requestedBy.id())
                    .call(block -> events.audit("ratelimit.block.created", requestedBy, resourceType(identity), value,
                            Outcome.OUTCOME_SUCCESS, block.reason(), Map.of("expires_at", block.expiresAt().toString(),
                                    "duration_seconds", String.valueOf(duration.toSeconds()))));
        });
    }

    public Uni<Boolean> unblock(String type, String value) {
        return caller().flatMap(requestedBy -> {
            IdentityType identity = type(type);
            requireValue(value);
            return store.unblock(identity, value)
                    .call(removed -> events.audit("ratelimit.block.removed", requestedBy, resourceType(identity), value,
                            removed ? Outcome.OUTCOME_SUCCESS : Outcome.OUTCOME_FAILURE, removed ? "" : "not blocked", Map.of()));
        });
    }

    /** Who asks, from their verified identity. A Uni: authentication is lazy and these commands run on the event loop. */
    private Uni<Who> caller() {
        return identities.getDeferredIdentity().map(identity -> Who.of(identity, "", ""));
    }

    private static String resourceType(IdentityType identity) {
        return "blocked-" + identity.configName();
    }

    public List<Block> list(String type) {
        return store.list(type == null || type.isBlank() ? Optional.empty() : Optional.of(type(type)));
    }

    private static IdentityType type(String type) {
        try {
            return IdentityType.parse(type);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private void requireValue(String value) {
        // the value is the audit record's resource id: a block that could not be recorded is not made
        int max = Math.min(settings.limits().maxValueLength(), AuditLimits.RESOURCE_ID);
        if (value == null || value.isBlank() || value.length() > max) {
            throw ProblemException.badRequest("identity value must have 1 to " + max + " characters");
        }
    }
}
