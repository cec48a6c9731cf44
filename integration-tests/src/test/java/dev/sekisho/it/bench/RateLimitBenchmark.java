package dev.sekisho.it.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.HdrHistogram.Recorder;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.RedisServer;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.testing.servers.TempDirs;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;

/**
 * ratelimit-service against the same Lua script called directly on the same Redis, by the same load generator:
 * closed-loop throughput and latency at fixed concurrency, open-loop latency at half the peak, and the
 * over-limit path with the local cache on and off. Run with scripts/bench-ratelimit.sh; docs/benchmarks.md
 * explains the method and keeps the figures.
 */
public final class RateLimitBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    static final Duration WARMUP = Duration.ofSeconds(Long.getLong("bench.warmup", 5));
    static final Duration MEASURE = Duration.ofSeconds(Long.getLong("bench.seconds", 10));
    static final int KEYS = 10_000;

    record Result(String name, double perSecond, double p50Micros, double p99Micros, double p999Micros) {
        String row() {
            return String.format("| %s | %,.0f | %.0f | %.0f | %.0f |", name, perSecond, p50Micros, p99Micros, p999Micros);
        }
    }

    /** Something the load generator can issue asynchronously: call done when the answer arrives. */
    interface Call {
        void issue(long sequence, Runnable done, Consumer<Throwable> failed);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("sekisho.root", ".")).toAbsolutePath();
        Path work = TempDirs.create("ratelimit-bench");
        Path policies = Files.createDirectories(work.resolve("policies"));
        Files.writeString(policies.resolve("bench.yaml"), """
                domain: bench
                descriptors:
                  - key: k
                    rate_limit: {name: bench-allowed, unit: hour, requests_per_unit: 1000000000}
                  - key: over
                    rate_limit: {name: bench-over, unit: hour, requests_per_unit: 1}
                """);
        RedisServer redis = new RedisServer(Ports.free(), work.resolve("redis"), work.resolve("redis.log"), List.of());
        String redisUrl = redis.start();
        Runtime.getRuntime().addShutdownHook(new Thread(redis::stop)); // also when a later start fails
        Map<String, String> env = new java.util.HashMap<>(Map.of("QUARKUS_REDIS_HOSTS", redisUrl,
                "SEKISHO_RATELIMIT_POLICIES_DIR", policies.toString(),
                "QUARKUS_OTEL_SDK_DISABLED", "true",
                "QUARKUS_LOG_LEVEL", "WARN"));
        String jvmOptions = System.getProperty("bench.service-jvm-options", "");
        if (!jvmOptions.isBlank()) {
            System.setProperty("sekisho.service.jvm-options", jvmOptions);
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.env."))
                .forEach(k -> env.put(k.substring("bench.env.".length()), System.getProperty(k)));
        ServiceLauncher cached = ServiceLauncher.start(root, SekishoService.RATELIMIT, Ports.free(), env, work.resolve("cache-on.log"));
        Runtime.getRuntime().addShutdownHook(new Thread(cached::stop));
        ServiceLauncher uncached = ServiceLauncher.start(root, SekishoService.RATELIMIT, Ports.free(),
                merge(env, Map.of("SEKISHO_RATELIMIT_LOCAL_CACHE_ENABLED", "false")), work.resolve("cache-off.log"));
        // the yardstick: the same decision with nothing of the framework, in a process of its own with the same heap
        int leanPort = Ports.free();
        Process lean = Yardstick.start(LeanDecisionServer.class, leanPort, work.resolve("lean.log"), redisUrl);
        Vertx vertx = Vertx.vertx();
        try {
            ManagedChannel cachedChannel = channel(cached.port());
            ManagedChannel uncachedChannel = channel(uncached.port());
            ManagedChannel leanChannel = channel(leanPort);
            RedisConnection direct = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl)
                    .setMaxWaitingHandlers(4096)).connect().toCompletionStage().toCompletableFuture().get();

            String script = resource("lua/fixed_window.lua");
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
            direct.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script)).toCompletionStage().toCompletableFuture().get();

            Call directLua = (seq, done, failed) -> direct.send(Request.cmd(Command.EVALSHA).arg(sha).arg(1)
                    .arg("sekisho:rl:{bench-" + (seq % KEYS) + "}").arg(1_000_000_000).arg(3_600_000).arg(1))
                    .onSuccess(r -> done.run()).onFailure(failed::accept);
            Call allowed = grpc(cachedChannel, seq -> request("k", "key-" + (seq % KEYS)));
            Call overCached = grpc(cachedChannel, seq -> request("over", "exhausted"));
            Call overUncached = grpc(uncachedChannel, seq -> request("over", "exhausted"));
            // the same server answering a gRPC call that does no work at all: what any gRPC decision here costs at least
            HealthGrpc.HealthStub health = HealthGrpc.newStub(cachedChannel);
            HealthCheckRequest healthRequest = HealthCheckRequest.getDefaultInstance();
            Call empty = (seq, done, failed) -> health.check(healthRequest, observer(done, failed));
            Call leanAllowed = grpc(leanChannel, seq -> request("k", "key-" + (seq % KEYS)));
            HealthGrpc.HealthStub leanHealth = HealthGrpc.newStub(leanChannel);
            Call leanEmpty = (seq, done, failed) -> leanHealth.check(healthRequest, observer(done, failed));
            // exhaust the over-limit key (limit 1 per hour) on both instances
            RateLimitServiceGrpc.newBlockingStub(cachedChannel).shouldRateLimit(request("over", "exhausted"));

            System.out.printf("# ratelimit-service benchmark: concurrency %d, warm-up %ds, measured %ds, %d cores, %s%n%n",
                    CONCURRENCY, WARMUP.toSeconds(), MEASURE.toSeconds(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            // both service instances and both client paths get compiled before anything is measured
            for (Call call : List.of(allowed, overCached, overUncached, directLua, empty, leanAllowed, leanEmpty)) {
                run(call, WARMUP, null);
            }
            Result lua = closedLoop("Lua script direct (EVALSHA, same Redis)", directLua);
            Result svc = closedLoop("ShouldRateLimit via ratelimit-service (allowed)", allowed);
            Result half = openLoop("ShouldRateLimit at 50% of its peak (open loop)", allowed, svc.perSecond() / 2);
            Result tenth = openLoop("ShouldRateLimit at 10% of its peak (open loop)", allowed, svc.perSecond() / 10);
            Result over = closedLoop("over-limit key, local cache on", overCached);
            Result overOff = closedLoop("over-limit key, local cache off", overUncached);
            Result nothing = closedLoop("gRPC health Check on the same server (no work)", empty);
            Result nothingHalf = openLoop("gRPC health Check at the rate of the 50% row (open loop)", empty, svc.perSecond() / 2);
            Result leanSvc = closedLoop("lean yardstick: ShouldRateLimit, Vert.x gRPC + one EVALSHA, no framework", leanAllowed);
            Result leanHalf = openLoop("lean yardstick at 50% of its peak (open loop)", leanAllowed, leanSvc.perSecond() / 2);
            Result leanNothing = closedLoop("lean yardstick: gRPC health Check (no work)", leanEmpty);

            System.out.println("| path | decisions/s | p50 µs | p99 µs | p99.9 µs |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (Result r : List.of(lua, svc, half, tenth, over, overOff, nothing, nothingHalf, leanSvc, leanHalf, leanNothing)) {
                System.out.println(r.row());
            }
            System.out.printf("%nservice / direct Lua throughput: %.0f%% (target >= 60%%)%n", 100 * svc.perSecond() / lua.perSecond());
            System.out.printf("p99 at half of peak: %.2f ms (target <= 2 ms)%n", half.p99Micros() / 1000);
            System.out.printf("over-limit, cache on / cache off: %.1fx (target >= 3x)%n", over.perSecond() / overOff.perSecond());
            System.out.printf("a gRPC call that does nothing, on the same server / direct Lua: %.0f%%%n", 100 * nothing.perSecond() / lua.perSecond());
            System.out.printf("%nthe lean yardstick on the same targets: / direct Lua %.0f%%, p99 at half of its peak %.2f ms, "
                    + "no work / one EVALSHA %.1fx (the most any cache could give)%n", 100 * leanSvc.perSecond() / lua.perSecond(),
                    leanHalf.p99Micros() / 1000, leanNothing.perSecond() / leanSvc.perSecond());
            System.out.printf("ratelimit-service / lean yardstick throughput: %.0f%%%n", 100 * svc.perSecond() / leanSvc.perSecond());
            cachedChannel.shutdownNow();
            uncachedChannel.shutdownNow();
            leanChannel.shutdownNow();
        } finally {
            // a server that failed says why before its log is deleted with the run's directory
            for (String log : List.of("cache-on.log", "cache-off.log", "lean.log")) {
                if (!Files.exists(work.resolve(log))) {
                    continue;
                }
                List<String> lines = Files.readAllLines(work.resolve(log));
                if (lines.stream().anyMatch(l -> l.contains("ERROR") || l.contains("OutOfMemory"))) {
                    System.out.println("\n" + log + ", last lines:");
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
                }
            }
            vertx.close();
            cached.stop();
            uncached.stop();
            lean.destroy();
            lean.waitFor(10, TimeUnit.SECONDS);
            redis.stop();
            TempDirs.delete(work); // the servers' data and logs
        }
    }

    static RateLimitRequest request(String key, String value) {
        return RateLimitRequest.newBuilder().setDomain("bench").addDescriptors(RateLimitDescriptor.newBuilder()
                .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value))).build();
    }

    /**
     * The generator's channel: callbacks run on the transport thread (grpc-java's direct executor), so the
     * generator spends the shared cores on calls rather than on handing answers between threads.
     */
    static ManagedChannel channel(int port) {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    }

    static Call grpc(ManagedChannel channel, java.util.function.LongFunction<RateLimitRequest> requests) {
        RateLimitServiceGrpc.RateLimitServiceStub stub = RateLimitServiceGrpc.newStub(channel);
        return (seq, done, failed) -> stub.shouldRateLimit(requests.apply(seq), observer(done, failed));
    }

    static <T> StreamObserver<T> observer(Runnable done, Consumer<Throwable> failed) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
            }

            @Override
            public void onError(Throwable t) {
                failed.accept(t);
            }

            @Override
            public void onCompleted() {
                done.run();
            }
        };
    }

    /** CONCURRENCY callers, each issuing its next call when the previous answer arrives. */
    static Result closedLoop(String name, Call call) throws InterruptedException {
        run(call, WARMUP, null);
        Recorder recorder = new Recorder(3);
        long count = run(call, MEASURE, recorder);
        var h = recorder.getIntervalHistogram();
        return new Result(name, count / (double) MEASURE.toSeconds(), h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0);
    }

    private static long run(Call call, Duration duration, Recorder recorder) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong completed = new AtomicLong();
        AtomicLong sequence = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(CONCURRENCY);
        for (int c = 0; c < CONCURRENCY; c++) {
            new Object() {
                void next() {
                    if (!running.get()) {
                        stopped.countDown();
                        return;
                    }
                    long start = System.nanoTime();
                    call.issue(sequence.incrementAndGet(), () -> {
                        if (recorder != null) {
                            recorder.recordValue(System.nanoTime() - start);
                        }
                        completed.incrementAndGet();
                        next();
                    }, e -> {
                        if (failures.getAndIncrement() == 0) {
                            System.out.println("  first failure: " + e);
                        }
                        next();
                    });
                }
            }.next();
        }
        Thread.sleep(duration.toMillis());
        long count = completed.get();
        running.set(false);
        stopped.await(10, TimeUnit.SECONDS);
        if (failures.get() > 0) {
            System.out.println("  (" + failures.get() + " failed calls)");
        }
        return count;
    }

    /** Calls sent at a fixed rate whatever the answers; latency counts from the intended send time. */
    static Result openLoop(String name, Call call, double perSecond) throws InterruptedException {
        Recorder recorder = new Recorder(3);
        for (Duration phase : List.of(WARMUP, MEASURE)) {
            recorder.reset();
            long intervalNanos = (long) (1e9 / perSecond);
            long begin = System.nanoTime();
            long end = begin + phase.toNanos();
            Thread sender = new Thread(() -> {
                for (long i = 0;; i++) {
                    long intended = begin + i * intervalNanos;
                    if (intended >= end) {
                        return;
                    }
                    long wait;
                    while ((wait = intended - System.nanoTime()) > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    call.issue(i, () -> recorder.recordValue(Math.max(0, System.nanoTime() - intended)), e -> { });
                }
            }, "open-loop-sender");
            sender.start();
            sender.join();
            Thread.sleep(200);
        }
        var h = recorder.getIntervalHistogram();
        return new Result(name, h.getTotalCount() / (double) MEASURE.toSeconds(), h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = RateLimitBenchmark.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        var merged = new java.util.HashMap<>(a);
        merged.putAll(b);
        return merged;
    }
}
