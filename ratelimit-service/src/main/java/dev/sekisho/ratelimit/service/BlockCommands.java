package dev.sekisho.ratelimit.service;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.ratelimit.config.RateLimitSettings;
import dev.sekisho.ratelimit.limiter.BlockStore;
import dev.sekisho.ratelimit.limiter.BlockStore.Block;
import dev.sekisho.ratelimit.limiter.BlockStore.IdentityType;
import io.smallrye.mutiny.Uni;

/** Block and unblock identities, validated the same way for gRPC and REST. */
@ApplicationScoped
public class BlockCommands {

    static final Duration LONGEST = Duration.ofDays(30);

    @Inject
    BlockStore store;

    @Inject
    RateLimitSettings settings;

    public Uni<Block> block(String type, String value, Duration duration, String reason, String requestedBy) {
        return Uni.createFrom().deferred(() -> {
            IdentityType identity = type(type);
            requireValue(value);
            if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(LONGEST) > 0) {
                throw ProblemException.badRequest("duration must be between 1 second and 30 days");
            }
            if (reason != null && reason.length() > 500) {
                throw ProblemException.badRequest("reason must be at most 500 characters");
            }
            return store.block(identity, value, duration, reason == null ? "" : reason, requestedBy);
        });
    }

    public Uni<Boolean> unblock(String type, String value) {
        return Uni.createFrom().deferred(() -> {
            IdentityType identity = type(type);
            requireValue(value);
            return store.unblock(identity, value);
        });
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
        if (value == null || value.isBlank() || value.length() > settings.limits().maxValueLength()) {
            throw ProblemException.badRequest("identity value must have 1 to " + settings.limits().maxValueLength() + " characters");
        }
    }
}
