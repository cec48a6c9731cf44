package dev.sekisho.ratelimit.repository;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

import dev.sekisho.ratelimit.policy.Rule;

/**
 * One counter to decide: a rule, the Redis key of the counted identity, and the units this request costs.
 *
 * <p>The key is {@code sekisho:rl:{<digest>}}: the digest covers the domain, the rule's counting fingerprint,
 * the tenant and the descriptor entries. Its fixed length bounds Redis memory whatever callers send, and the
 * braces make it a Redis Cluster hash tag, so a script call never spans slots.
 */
public record Counter(Rule rule, String key, long cost) {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    public static Counter of(Rule rule, String tenant, List<String> keysAndValues, long cost) {
        MessageDigest digest = SHA256.get();
        digest.reset();
        update(digest, rule.domain());
        update(digest, rule.fingerprint());
        update(digest, tenant == null ? "" : tenant);
        for (String part : keysAndValues) {
            update(digest, part);
        }
        byte[] hash = digest.digest();
        String tag = Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(hash, 16));
        return new Counter(rule, "sekisho:rl:{" + tag + "}", cost);
    }

    private static void update(MessageDigest digest, String part) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        digest.update((byte) (bytes.length >>> 24));
        digest.update((byte) (bytes.length >>> 16));
        digest.update((byte) (bytes.length >>> 8));
        digest.update((byte) bytes.length);
        digest.update(bytes);
    }

    /** The script arguments for this counter, in the order the algorithm's script reads them. */
    void appendArgs(List<String> args) {
        args.add(Long.toString(rule.limit()));
        args.add(Long.toString(rule.window().toMillis()));
        if (LimitScript.of(rule.algorithm()) == LimitScript.TOKEN_BUCKET) {
            args.add(Long.toString(rule.burst()));
        }
        args.add(Long.toString(cost));
    }
}
