package dev.sekisho.alert.repository;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.alert.config.AlertSettings;
import dev.sekisho.alert.detection.Correlation;
import dev.sekisho.alert.detection.Signal;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * The correlations' state in Redis, shared by every alert-service instance so that they count together and fire once:
 * one script call per signal ({@code lua/correlate.lua}) updates every correlation the signal feeds and says which
 * fired, with their evidence. Keys are per correlation and group (the group's label values hashed, so a key's length
 * does not depend on caller input) and expire after twice the timespan; a group keeps at most its threshold's worth of
 * members.
 */
@ApplicationScoped
public class CorrelationState {

    /**
     * Every key of the correlations' state, under one Redis Cluster hash tag: a signal's script call touches the state of
     * every correlation it feeds (other groups, other rules) and its replay marker in one atomic step, which a cluster
     * allows only within one slot. The state lives on one node of a cluster, then; it is bounded (keys expire after
     * twice their timespan, a group keeps at most its threshold's members), and one script call per signal is far
     * from what a node serves.
     */
    static final String PREFIX = "sekisho:alert:{correlations}:";
    static final String SCRIPT = load("lua/correlate.lua");
    static final String SHA = sha1(SCRIPT);
    static final ObjectMapper JSON = new ObjectMapper();
    /** How long a handled signal's replay is known as a duplicate. */
    static final long SEEN_TTL_SECONDS = 86_400;

    @Inject
    Redis redis;

    @Inject
    AlertSettings settings;

    /** One correlation the signal feeds: which, for which group, and which of its steps the signal is (temporal). */
    public record Op(Correlation correlation, Map<String, String> group, List<Integer> steps) {
    }

    /** A correlation that fired for a group, with up to 20 entries of evidence, newest first. */
    public record Fired(Op op, List<Evidence> evidence) {
    }

    /** One signal behind a firing: its id, trace id and audit event id (either may be empty). */
    public record Evidence(String signalId, String traceId, String auditEventId) {

        String encoded() {
            return signalId + "|" + traceId + "|" + auditEventId;
        }

        static Evidence decode(String text) {
            String[] parts = text.split("\\|", -1);
            return new Evidence(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : "");
        }
    }

    /**
     * What applying a signal gave: a duplicate (already stored), or the firings (perhaps none); {@code marked} when
     * nothing fired and the script marked the signal seen itself (asked for with {@code markIfQuiet}).
     */
    public record Outcome(boolean duplicate, List<Fired> fired, boolean marked) {
    }

    /**
     * Applies a signal to the correlations it feeds. {@code stateId} is the signal's id, or, for a correlation's firing
     * that feeds others, an id derived from it; the evidence names the signal itself. With {@code markIfQuiet} (the
     * caller has nothing else to store for it) a signal that fires nothing is marked seen in the same call.
     */
    public Uni<Outcome> apply(Signal signal, String stateId, List<Op> ops, boolean markIfQuiet) {
        List<String> keys = new ArrayList<>(1 + 3 * ops.size());
        List<String> args = new ArrayList<>(4 + 5 * ops.size());
        keys.add(seenKey(stateId));
        args.add(stateId);
        args.add(String.valueOf(signal.occurredAt().toEpochMilli()));
        args.add(new Evidence(signal.id(), signal.traceId(), signal.auditEventId()).encoded());
        args.add(String.valueOf(ops.size()));
        for (Op op : ops) {
            Correlation c = op.correlation();
            String group = groupHash(op.group());
            String base = PREFIX + "c:" + c.id() + ":" + group;
            long window = c.timespan().toMillis();
            switch (c.type()) {
                case EVENT_COUNT -> add(keys, args, base, "count", window, c.threshold(), "", "");
                case VALUE_COUNT -> add(keys, args, base, "distinct", window, c.threshold(), valueOf(signal, c.field()), "");
                case TEMPORAL_ORDERED -> add(keys, args, base, "ordered", window, 1,
                        String.join(",", op.steps().stream().map(s -> String.valueOf(s + 1)).toList()), String.valueOf(c.rules().size()));
                case RATE_ANOMALY -> add(keys, args, base, "anomaly", window, c.threshold(), String.valueOf(c.factor()),
                        String.valueOf(c.learningBuckets()));
                case ABSENCE -> {
                    keys.add(absenceKey(c));
                    keys.add(absenceGroupsKey(c));
                    keys.add(base + ":e");
                    args.addAll(List.of("seen", String.valueOf(window), "0", group, json(op.group())));
                }
            }
        }
        if (markIfQuiet) {
            args.add(String.valueOf(SEEN_TTL_SECONDS));
        }
        Duration timeout = settings.redisTimeout();
        return send(keys, args).ifNoItem().after(timeout).failWith(() -> new TimeoutException("Redis did not answer within " + timeout))
                .map(response -> outcome(response, ops));
    }

    /** Marks a signal as handled: its replays are duplicates from now on, for a day. */
    public Uni<Void> seen(String signalId) {
        return redis.send(Request.cmd(Command.SET).arg(seenKey(signalId)).arg("1").arg("EX").arg(SEEN_TTL_SECONDS))
                .ifNoItem().after(settings.redisTimeout()).fail().replaceWithVoid();
    }

    public Uni<Boolean> isSeen(String signalId) {
        return redis.send(Request.cmd(Command.EXISTS).arg(seenKey(signalId)))
                .ifNoItem().after(settings.redisTimeout()).fail().map(r -> r.toLong() == 1);
    }

    /** A group of an x-absence correlation that went silent, claimed by this caller. */
    public record Silent(Map<String, String> group) {
    }

    /**
     * The groups of an x-absence correlation not heard from since {@code silentSince}; each is claimed (removed) by one
     * caller only, so several instances never fire the same absence twice.
     */
    public Uni<List<Silent>> claimSilent(Correlation absence, Instant silentSince, int max) {
        String key = absenceKey(absence);
        return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(key).arg("-inf").arg(silentSince.toEpochMilli())
                        .arg("LIMIT").arg(0).arg(max))
                .onItem().transformToUni(found -> {
                    List<Uni<Silent>> claims = new ArrayList<>();
                    for (int i = 0; i < found.size(); i++) {
                        String group = found.get(i).toString();
                        claims.add(redis.send(Request.cmd(Command.ZREM).arg(key).arg(group)).flatMap(removed -> removed.toLong() == 1
                                ? redis.send(Request.cmd(Command.HGET).arg(absenceGroupsKey(absence)).arg(group))
                                        .call(labels -> redis.send(Request.cmd(Command.HDEL).arg(absenceGroupsKey(absence)).arg(group)))
                                        .map(labels -> new Silent(labels == null ? Map.of() : parse(labels.toString())))
                                : Uni.createFrom().nullItem()));
                    }
                    return claims.isEmpty() ? Uni.createFrom().item(List.<Silent>of())
                            : Uni.join().all(claims).andFailFast().map(list -> list.stream().filter(s -> s != null).toList());
                })
                .ifNoItem().after(settings.redisTimeout()).fail();
    }

    /** Puts a claimed group back (its alert could not be stored): the next pass finds it silent again. */
    public Uni<Void> unclaim(Correlation absence, Silent silent) {
        String group = groupHash(silent.group());
        return redis.send(Request.cmd(Command.ZADD).arg(absenceKey(absence)).arg(0).arg(group))
                .call(() -> redis.send(Request.cmd(Command.HSET).arg(absenceGroupsKey(absence)).arg(group).arg(json(silent.group()))))
                .ifNoItem().after(settings.redisTimeout()).fail().replaceWithVoid();
    }

    private Uni<Response> send(List<String> keys, List<String> args) {
        return redis.send(script(Command.EVALSHA, SHA, keys, args))
                .onFailure(CorrelationState::isNoScript).recoverWithUni(() -> redis.send(script(Command.EVAL, SCRIPT, keys, args)));
    }

    private static void add(List<String> keys, List<String> args, String base, String kind, long window, long threshold, String x,
            String y) {
        keys.add(base);
        keys.add(base + ":f");
        keys.add(base + ":e");
        args.addAll(List.of(kind, String.valueOf(window), String.valueOf(threshold), x, y));
    }

    private static Outcome outcome(Response response, List<Op> ops) {
        long status = response.get(0).toLong();
        if (status == -1) {
            return new Outcome(true, List.of(), false);
        }
        if (status == 1) {
            return new Outcome(false, List.of(), true);
        }
        List<Fired> fired = new ArrayList<>();
        int i = 1;
        while (i < response.size()) {
            int op = response.get(i).toInteger();
            int n = response.get(i + 1).toInteger();
            List<Evidence> evidence = new ArrayList<>(n);
            for (int e = 0; e < n; e++) {
                evidence.add(Evidence.decode(response.get(i + 2 + e).toString()));
            }
            fired.add(new Fired(ops.get(op), evidence));
            i += 2 + n;
        }
        return new Outcome(false, fired, false);
    }

    /** The value a value_count counts, bounded (a 64-character label is one value, however long the caller made it). */
    private static String valueOf(Signal signal, String field) {
        String value = signal.field(field);
        return value == null ? "" : value.length() <= 256 ? value : value.substring(0, 256);
    }

    static String seenKey(String signalId) {
        return PREFIX + "seen:" + signalId;
    }

    static String absenceKey(Correlation c) {
        return PREFIX + "absence:" + c.id();
    }

    static String absenceGroupsKey(Correlation c) {
        return PREFIX + "absence:" + c.id() + ":groups";
    }

    /** The group's values hashed: keys have a fixed length whatever the labels hold. */
    public static String groupHash(Map<String, String> group) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> e : new TreeMap<>(group).entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Request script(Command command, String script, List<String> keys, List<String> args) {
        Request request = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(request::arg);
        args.forEach(request::arg);
        return request;
    }

    private static boolean isNoScript(Throwable failure) {
        return failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT");
    }

    private static String json(Map<String, String> labels) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(labels));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, String>>() {
            });
        } catch (IOException e) {
            return Map.of();
        }
    }

    private static String load(String resource) {
        try (InputStream in = CorrelationState.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
