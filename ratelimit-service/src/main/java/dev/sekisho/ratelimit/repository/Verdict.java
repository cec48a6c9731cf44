package dev.sekisho.ratelimit.repository;

/** What Redis decided for one counter: allowed or not, what is left, and when it resets or may pass again. */
public record Verdict(boolean allowed, long remaining, long resetMillis, long retryAfterMillis) {
}
