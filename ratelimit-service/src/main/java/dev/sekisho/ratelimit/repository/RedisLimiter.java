package dev.sekisho.ratelimit.repository;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;

import dev.sekisho.ratelimit.config.RateLimitSettings;
import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Decides counters in Redis: one EVALSHA per algorithm with every counter of that algorithm (standalone), or one
 * per counter (Redis Cluster, where each key is its own hash slot). The calls of one request are sent together,
 * so a request costs one round trip. A script Redis does not know yet (NOSCRIPT) is sent once with EVAL.
 *
 * <p>Redis is never waited on for long: past the timeout the caller applies each rule's fail mode, and after
 * repeated failures the circuit opens and requests stop reaching Redis until it answers again.
 */
@ApplicationScoped
public class RedisLimiter {

    @Inject
    Redis redis;

    @ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone")
    String clientType;

    @Inject
    RateLimitSettings settings;

    /**
     * Long-lived connections, each pipelining every call in flight, instead of the pool (a pooled connection
     * carries one call at a time, and at high concurrency calls would wait for one): one per event loop, used by
     * the calls made on that loop, so that a call, its answer and what follows stay on one thread; and a few
     * shared ones for calls from other threads.
     */
    private final ConcurrentHashMap<Object, Uni<RedisConnection>> connections = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();

    /** Decides the counters; fails with a TimeoutException when Redis has not answered within the timeout. */
    @AsynchronousNonBlocking
    @CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.5, delay = 1000, delayUnit = ChronoUnit.MILLIS,
            successThreshold = 2)
    @WithSpan("ratelimit lua decision")
    public Uni<List<Verdict>> decide(List<Counter> counters) {
        if (counters.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<List<Integer>> groups = groups(counters);
        Uni<RedisConnection> connection = connection(); // every call of one request on one connection: one round trip
        List<Uni<List<Verdict>>> calls = new ArrayList<>(groups.size());
        for (List<Integer> group : groups) {
            calls.add(call(connection, counters, group));
        }
        Uni<List<List<Verdict>>> all = calls.size() == 1
                ? calls.get(0).map(List::of)
                : Uni.join().all(calls).andFailFast();
        Duration timeout = settings.redisTimeout();
        return all.ifNoItem().after(timeout).failWith(() -> new TimeoutException("Redis did not answer within " + timeout))
                .map(results -> {
            Verdict[] ordered = new Verdict[counters.size()];
            for (int g = 0; g < groups.size(); g++) {
                List<Integer> group = groups.get(g);
                List<Verdict> verdicts = results.get(g);
                for (int i = 0; i < group.size(); i++) {
                    ordered[group.get(i)] = verdicts.get(i);
                }
            }
            return List.of(ordered);
        });
    }

    /** Indexes of counters that share a script call. */
    private List<List<Integer>> groups(List<Counter> counters) {
        List<List<Integer>> groups = new ArrayList<>();
        if ("cluster".equalsIgnoreCase(clientType)) {
            for (int i = 0; i < counters.size(); i++) {
                groups.add(List.of(i));
            }
            return groups;
        }
        Map<LimitScript, List<Integer>> byScript = new EnumMap<>(LimitScript.class);
        for (int i = 0; i < counters.size(); i++) {
            byScript.computeIfAbsent(LimitScript.of(counters.get(i).rule().algorithm()), s -> new ArrayList<>()).add(i);
        }
        groups.addAll(byScript.values());
        return groups;
    }

    private Uni<List<Verdict>> call(Uni<RedisConnection> connection, List<Counter> counters, List<Integer> group) {
        LimitScript script = LimitScript.of(counters.get(group.get(0)).rule().algorithm());
        List<String> keys = new ArrayList<>(group.size());
        List<String> args = new ArrayList<>(group.size() * script.argsPerKey());
        for (int index : group) {
            Counter counter = counters.get(index);
            keys.add(counter.key());
            counter.appendArgs(args);
        }
        return connection.flatMap(redis -> redis.send(request(Command.EVALSHA, script.sha(), keys, args))
                        .onFailure(RedisLimiter::isNoScript)
                        .recoverWithUni(() -> redis.send(request(Command.EVAL, script.source(), keys, args))))
                .map(response -> verdicts(response, group.size()));
    }

    /**
     * The calling event loop's own connection, or a shared one (round robin) for other threads. A connection that
     * failed or closed is replaced on its next use.
     */
    private Uni<RedisConnection> connection() {
        Object owner = Context.isOnEventLoopThread() ? Thread.currentThread()
                : Integer.valueOf(Math.floorMod(next.getAndIncrement(), Math.max(1, settings.redisConnections())));
        Uni<RedisConnection> current = connections.get(owner);
        if (current != null) {
            return current;
        }
        Uni<RedisConnection>[] holder = new Uni[1];
        holder[0] = redis.connect() // on an event loop, the connection is bound to it
                .invoke(connection -> {
                    connection.exceptionHandler(e -> connections.remove(owner, holder[0]));
                    connection.endHandler(() -> connections.remove(owner, holder[0]));
                })
                .onFailure().invoke(() -> connections.remove(owner, holder[0]))
                .memoize().indefinitely();
        Uni<RedisConnection> raced = connections.putIfAbsent(owner, holder[0]);
        return raced != null ? raced : holder[0];
    }

    private static Request request(Command command, String script, List<String> keys, List<String> args) {
        Request request = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(request::arg);
        args.forEach(request::arg);
        return request;
    }

    private static boolean isNoScript(Throwable failure) {
        return failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT");
    }

    private static List<Verdict> verdicts(Response response, int count) {
        List<Verdict> verdicts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int base = i * 4;
            verdicts.add(new Verdict(response.get(base).toLong() == 1, response.get(base + 1).toLong(),
                    response.get(base + 2).toLong(), response.get(base + 3).toLong()));
        }
        return verdicts;
    }
}
