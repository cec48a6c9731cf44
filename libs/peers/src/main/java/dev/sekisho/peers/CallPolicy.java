package dev.sekisho.peers;

import java.time.Duration;

import io.smallrye.config.WithDefault;

/**
 * The resilience of one kind of call to a peer, as a configuration group that a service's {@code @ConfigMapping}
 * embeds (e.g. {@code sekisho.auth.login-budget.*}): how long a call may take, when a circuit breaker stops calling
 * a peer that keeps failing, and how many calls may be under way or waiting at once. {@link PeerGuards} turns it
 * into the guard a client method names with {@code @ApplyGuard}. No retries: a caller that may retry says so itself.
 */
public interface CallPolicy {

    /** How long one call may take before it fails. */
    Duration timeout();

    /** Calls the breaker looks at: when at least this share of the last {@link #breakerRequests()} failed, it opens. */
    @WithDefault("20")
    int breakerRequests();

    @WithDefault("0.5")
    double breakerFailureRatio();

    /** How long an open breaker refuses calls at once before it lets a trial call through. */
    @WithDefault("5s")
    Duration breakerDelay();

    /** Calls under way at once; more wait in the queue, and past it they fail at once. */
    @WithDefault("256")
    int maxConcurrent();

    @WithDefault("4096")
    int maxQueued();
}
