package dev.sekisho.ratelimit.repository;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Temporary blocks of an identity (IP, user, API key, client), shared by every instance through one Redis hash.
 * Each instance decides from its own copy, refreshed every {@code sekisho.ratelimit.blocks-refresh-interval}
 * and at once when it changes a block itself: checking a block costs no Redis round trip.
 */
@ApplicationScoped
public class BlockStore {

    public enum IdentityType {
        IP, USER, API_KEY, CLIENT;

        public static IdentityType parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("identity type must be ip, user, api_key or client");
            }
        }

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Block(IdentityType type, String value, String reason, String createdBy, Instant createdAt,
            Instant expiresAt) {

        boolean activeAt(Instant now) {
            return expiresAt.isAfter(now);
        }
    }

    static final String HASH = "sekisho:blocks";
    private static final Logger LOG = Logger.getLogger(BlockStore.class);

    @Inject
    ReactiveRedisDataSource redis;

    @Inject
    ObjectMapper json;

    private volatile Map<String, Block> active = Map.of();
    /** Counts this instance's own changes, so that a refresh read before one of them cannot undo it. */
    private long localChanges;

    public Optional<Block> blocked(IdentityType type, String value) {
        Block block = active.get(field(type, value));
        return block != null && block.activeAt(Instant.now()) ? Optional.of(block) : Optional.empty();
    }

    public List<Block> list(Optional<IdentityType> type) {
        Instant now = Instant.now();
        return active.values().stream()
                .filter(b -> b.activeAt(now))
                .filter(b -> type.isEmpty() || b.type() == type.get())
                .sorted(Comparator.comparing(Block::expiresAt))
                .toList();
    }

    public Uni<Block> block(IdentityType type, String value, Duration duration, String reason, String createdBy) {
        Instant now = Instant.now();
        Block block = new Block(type, value, reason, createdBy, now, now.plus(duration));
        return redis.hash(String.class).hset(HASH, field(type, value), encode(block))
                .invoke(() -> remember(block))
                .replaceWith(block);
    }

    public Uni<Boolean> unblock(IdentityType type, String value) {
        return redis.hash(String.class).hdel(HASH, field(type, value))
                .invoke(() -> forget(type, value))
                .map(removed -> removed > 0);
    }

    /** Re-reads every block; expired ones are dropped from Redis too. A failed refresh keeps the last copy. */
    @Scheduled(every = "${sekisho.ratelimit.blocks-refresh-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> refresh() {
        long changesBefore = localChanges();
        return redis.hash(String.class).hgetall(HASH)
                .map(this::decodeAll)
                .invoke(blocks -> replaceUnlessChangedSince(changesBefore, blocks))
                .call(this::dropExpired)
                .onFailure().invoke(e -> LOG.debugf("blocks not refreshed: %s", e.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Void> dropExpired(Map<String, Block> blocks) {
        Instant now = Instant.now();
        String[] expired = blocks.entrySet().stream().filter(e -> !e.getValue().activeAt(now)).map(Map.Entry::getKey)
                .toArray(String[]::new);
        return expired.length == 0 ? Uni.createFrom().voidItem() : redis.hash(String.class).hdel(HASH, expired).replaceWithVoid();
    }

    private Map<String, Block> decodeAll(Map<String, String> raw) {
        Map<String, Block> blocks = new HashMap<>();
        raw.forEach((field, value) -> {
            try {
                blocks.put(field, json.readValue(value, Block.class));
            } catch (JsonProcessingException e) {
                LOG.warnf("ignoring an unreadable block entry %s", field);
            }
        });
        return blocks;
    }

    private synchronized long localChanges() {
        return localChanges;
    }

    /** A snapshot read while this instance changed a block may predate the change; the next refresh catches up. */
    private synchronized void replaceUnlessChangedSince(long changesBefore, Map<String, Block> blocks) {
        if (localChanges == changesBefore) {
            active = blocks;
        }
    }

    private synchronized void remember(Block block) {
        Map<String, Block> copy = new HashMap<>(active);
        copy.put(field(block.type(), block.value()), block);
        active = copy;
        localChanges++;
    }

    private synchronized void forget(IdentityType type, String value) {
        Map<String, Block> copy = new HashMap<>(active);
        copy.remove(field(type, value));
        active = copy;
        localChanges++;
    }

    private String encode(Block block) {
        try {
            return json.writeValueAsString(block);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String field(IdentityType type, String value) {
        return type.configName() + ":" + value;
    }
}
