package dev.sekisho.peers;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.arc.DefaultBean;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.smallrye.mutiny.Uni;

/**
 * The outbox of a service whose store is Redis: one stream per producing service and kind
 * ({@code sekisho:outbox:auth-service:audit}), read through one consumer group so that instances share the work.
 * An entry is one XADD (durable as Redis is); the relay's pending entries are the group's pending list, and an
 * instance that stopped leaves entries that XAUTOCLAIM hands to another after {@code claim-after}.
 * The default store; a service that stores its data in PostgreSQL gets libs/persistence's store instead.
 */
@DefaultBean
@ApplicationScoped
public class RedisOutboxStore implements OutboxStore {

    static final String GROUP = "relay";
    private static final String FIELD = "p";

    private final ReactiveStreamCommands<String, String, String> streams;
    private final Set<String> groups = ConcurrentHashMap.newKeySet();

    @ConfigProperty(name = "quarkus.application.name")
    String service;

    @Inject
    public RedisOutboxStore(ReactiveRedisDataSource redis) {
        this.streams = redis.stream(String.class, String.class, String.class);
    }

    @Override
    public Uni<Void> put(String stream, byte[] payload) {
        return streams.xadd(key(stream), Map.of(FIELD, Base64.getEncoder().encodeToString(payload))).replaceWithVoid();
    }

    @Override
    public Uni<List<Entry>> claim(String stream, String consumer, int max, Duration claimAfter) {
        String key = key(stream);
        XReadGroupArgs args = new XReadGroupArgs().count(max);
        return ensureGroup(key)
                .chain(() -> streams.xreadgroup(GROUP, consumer, key, "0", args))
                .flatMap(mine -> !mine.isEmpty() ? Uni.createFrom().item(mine)
                        : streams.xautoclaim(key, GROUP, consumer, claimAfter, "0-0", max)
                                .map(claimed -> claimed.getMessages())
                                .flatMap(claimed -> !claimed.isEmpty() ? Uni.createFrom().item(claimed)
                                        : streams.xreadgroup(GROUP, consumer, key, ">", args)))
                .map(messages -> messages.stream().map(RedisOutboxStore::entry).toList())
                // a Redis that came back empty (restarted without persistence, or a failover) has lost the group:
                // the next pass creates it again instead of failing forever
                .onFailure(e -> String.valueOf(e.getMessage()).contains("NOGROUP")).invoke(e -> groups.remove(key));
    }

    @Override
    public Uni<Void> settle(String stream, List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String key = key(stream);
        String[] done = ids.toArray(String[]::new);
        return streams.xack(key, GROUP, done).chain(() -> streams.xdel(key, done)).replaceWithVoid();
    }

    @Override
    public Uni<Void> deadLetter(String stream, Entry entry, String reason) {
        return streams.xadd(key(stream) + ":dead", Map.of(FIELD, Base64.getEncoder().encodeToString(entry.payload()),
                "reason", String.valueOf(reason))).chain(() -> settle(stream, List.of(entry.id())));
    }

    @Override
    public Uni<Backlog> backlog(String stream) {
        String key = key(stream);
        return streams.xlen(key).flatMap(size -> size == 0 ? Uni.createFrom().item(Backlog.EMPTY)
                : streams.xrange(key, StreamRange.of("-", "+"), 1).map(oldest -> new Backlog(size, oldest.isEmpty() ? Duration.ZERO
                        : Duration.ofMillis(Math.max(0, System.currentTimeMillis() - millisOf(oldest.get(0).id()))))));
    }

    @Override
    public Uni<Long> deadLetters(String stream) {
        return streams.xlen(key(stream) + ":dead");
    }

    @Override
    public Uni<List<byte[]>> waiting(String stream, int max) {
        return streams.xrange(key(stream), StreamRange.of("-", "+"), max)
                .map(entries -> entries.stream().map(entry -> decode(entry.payload().get(FIELD))).toList());
    }

    private Uni<Void> ensureGroup(String key) {
        if (groups.contains(key)) {
            return Uni.createFrom().voidItem();
        }
        return streams.xgroupCreate(key, GROUP, "0", new XGroupCreateArgs().mkstream())
                .onFailure(e -> String.valueOf(e.getMessage()).contains("BUSYGROUP")).recoverWithNull()
                .invoke(() -> groups.add(key))
                .replaceWithVoid();
    }

    /** An unreadable entry keeps its id with no payload, so that the relay dead-letters it rather than retrying it. */
    private static Entry entry(StreamMessage<String, String, String> message) {
        return new Entry(message.id(), decode(message.payload().getOrDefault(FIELD, "")));
    }

    private static byte[] decode(String text) {
        try {
            return Base64.getDecoder().decode(text == null ? "" : text);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** A stream id is {@code <milliseconds>-<sequence>}: the time Redis stored the entry. */
    private static long millisOf(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
    }

    /** One stream per producing service and kind, e.g. {@code sekisho:outbox:auth-service:audit}. */
    String key(String stream) {
        return "sekisho:outbox:" + service + ":" + stream;
    }
}
