package dev.sekisho.it.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import com.google.protobuf.Timestamp;
import com.sun.net.httpserver.HttpServer;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.alert.v1.SignalAck;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;

/**
 * alert-service: sustained signal ingest with 50 rules (25 detection rules, 25 correlations fed by them), unary and
 * streamed, against Debian's prometheus-alertmanager ingesting the same alerts (same labels, same cardinality) on the
 * same machine, one alert per request and in batches; and signal-to-webhook latency with group_wait 0. Run with
 * scripts/bench-alert.sh; method and figures in docs/benchmarks.md.
 */
public final class AlertBenchmark {

    static final int RULES = 25;
    static final int USERS = Integer.getInteger("bench.users", 1000);
    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 64);
    static final int STREAMS = Integer.getInteger("bench.streams", 4);
    static final Duration WARMUP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 15));
    static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.measure-seconds", 20));
    static final int PROBES = Integer.getInteger("bench.probes", 200);
    static final java.util.regex.Pattern PROBE = java.util.regex.Pattern.compile("\"probe\":\\s*\"([^\"]+)\"");
    static final String ALERTMANAGER = System.getProperty("bench.alertmanager", "/usr/bin/prometheus-alertmanager");

    public static void main(String[] args) throws Exception {
        BenchServers servers = BenchServers.start("alert", "sekisho_alert");
        Path work = servers.work;
        // the webhook receiver of the latency probes
        Map<String, Long> arrived = new ConcurrentHashMap<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        receiver.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            long now = System.nanoTime();
            // the body as the service stored it (jsonb: spaced, keys reordered)
            java.util.regex.Matcher probe = PROBE.matcher(body);
            while (probe.find()) {
                arrived.putIfAbsent(probe.group(1), now);
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        Path rules = Files.createDirectories(work.resolve("rules"));
        Files.writeString(rules.resolve("bench.yaml"), rules());
        Path routing = Files.createDirectories(work.resolve("routing"));
        Files.writeString(routing.resolve("routing.yaml"), routing(receiver.getAddress().getPort()));

        Map<String, String> env = servers.environment("sekisho_alert");
        env.putAll(Map.of("SEKISHO_ALERT_RULES_DIR", rules.toString(), "SEKISHO_ALERT_ROUTING_DIR", routing.toString()));
        ServiceLauncher alert = ServiceLauncher.start(servers.root, SekishoService.ALERT, Ports.free(), env, work.resolve("alert.log"));
        Process alertmanager = null;
        try {
            System.out.printf("# alert-service benchmark: %d rules, %,d users x %,d addresses, %d cores, %s%n%n", 2 * RULES, USERS, USERS,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            String token = KeycloakTokens.service("auth");
            List<ManagedChannel> channels = channels(alert.port(), token);
            List<AlertsGrpc.AlertsFutureStub> stubs = channels.stream().map(AlertsGrpc::newFutureStub).toList();

            unary(stubs, WARMUP);
            double unary = unary(stubs, MEASURE);
            double streamed = streamed(channels, MEASURE);
            // the store's ceiling: the same correlation script, the same keys and arguments, called straight from here
            double direct = directScript(servers.root, servers.redisUrl, MEASURE);
            Histogram latency = latency(stubs.get(0), arrived);
            channels.forEach(ManagedChannel::shutdownNow);

            // Alertmanager, the same alerts: labels alertname, user, ip, with the same cardinality
            int amPort = Ports.free();
            alertmanager = new ProcessBuilder(ALERTMANAGER, "--config.file=" + writeAlertmanagerConfig(work, receiver.getAddress().getPort()),
                    "--storage.path=" + work.resolve("am"), "--web.listen-address=127.0.0.1:" + amPort,
                    "--cluster.listen-address=", "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(work.resolve("alertmanager.log").toFile()).start();
            Process started = alertmanager;
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
            Ports.awaitListening("127.0.0.1", amPort, Duration.ofSeconds(60), alertmanager, "alertmanager (see " + work.resolve("alertmanager.log") + ")");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI amUri = URI.create("http://127.0.0.1:" + amPort + "/api/v2/alerts");
            alertmanagerLoop(http, amUri, 1, WARMUP);
            double amSingle = alertmanagerLoop(http, amUri, 1, MEASURE);
            double amBatch = alertmanagerLoop(http, amUri, 64, MEASURE);

            System.out.println();
            System.out.println("| measurement | result |");
            System.out.println("|---|---:|");
            System.out.printf("| alert-service Signal (unary), %d in flight | %,.0f signals/s |%n", CONCURRENCY, unary);
            System.out.printf("| alert-service SignalStream, %d streams | %,.0f signals/s |%n", STREAMS, streamed);
            System.out.printf("| the correlation script called directly (EVALSHA, same Redis, same ops), %d in flight | %,.0f signals/s |%n",
                    CONCURRENCY, direct);
            System.out.printf("| Alertmanager POST /api/v2/alerts, one alert per request, %d in flight | %,.0f alerts/s |%n", CONCURRENCY,
                    amSingle);
            System.out.printf("| Alertmanager POST /api/v2/alerts, 64 alerts per request, %d in flight | %,.0f alerts/s |%n", CONCURRENCY,
                    amBatch);
            System.out.printf("| signal to webhook, group_wait 0 (%d probes, one every 100 ms): p50 / p99 / max | %.1f / %.1f / %.1f ms |%n",
                    latency.getTotalCount(), latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
                    latency.getMaxValue() / 1e6);
            System.out.printf("| calls refused (counted, not in the rates) | %,d |%n", Loops.refused.get());
            servers.completed();
        } finally {
            if (alertmanager != null) {
                alertmanager.destroy();
            }
            alert.stop();
            receiver.stop(0);
            servers.close();
        }
    }

    /** 25 detection rules (each on failed logins of a slice of users) and 25 event_count correlations over them. */
    static String rules() {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < RULES; i++) {
            yaml.append("""
                    title: Bench rule %1$d
                    id: bench-rule-%1$d
                    logsource: {product: sekisho}
                    detection:
                      s: {kind: auth.login.failed, user|endswith: '-%2$d'}
                      filter: {ip|cidr: 10.0.0.0/8}
                      condition: s and not filter
                    fields: [user]
                    level: low
                    ---
                    title: Bench correlation %1$d
                    id: bench-correlation-%1$d
                    correlation: {type: event_count, rules: [bench-rule-%1$d], group-by: [user], timespan: 1m, condition: {gte: 100000}}
                    level: medium
                    ---
                    """.formatted(i, i % 10));
        }
        yaml.append("""
                title: Latency probe
                id: bench-probe
                logsource: {product: sekisho}
                detection:
                  s: {kind: integration.failed, probe|exists: true}
                  condition: s
                fields: [probe]
                level: high
                """);
        return yaml.toString();
    }

    static String routing(int port) {
        return """
                route:
                  receiver: log
                  group_wait: 0s
                  group_interval: 1s
                  routes:
                    - matchers: ['rule_id="bench-probe"']
                      receiver: hook
                      group_by: [probe]
                      group_wait: 0s
                receivers:
                  - name: log
                    log: {}
                  - name: hook
                    webhook: {url: 'http://127.0.0.1:%d/hook', format: alertmanager, allowed_networks: [127.0.0.1/32]}
                """.formatted(port);
    }

    static String writeAlertmanagerConfig(Path work, int port) throws IOException {
        Path config = work.resolve("alertmanager.yml");
        Files.writeString(config, """
                route:
                  receiver: hook
                  group_by: [alertname, user]
                  group_wait: 30s
                  group_interval: 5m
                  repeat_interval: 4h
                receivers:
                  - name: hook
                    webhook_configs:
                      - url: 'http://127.0.0.1:%d/alertmanager'
                """.formatted(port));
        return config.toString();
    }

    static SecuritySignal failed() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        Instant now = Instant.now();
        return SecuritySignal.newBuilder().setSignalId(UUID.randomUUID().toString()).setKind("auth.login.failed")
                .setSeverity(Severity.SEVERITY_INFO).setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .putLabels("user", "user-" + r.nextInt(USERS / 10) + "-" + r.nextInt(10))
                .putLabels("ip", "198.51." + r.nextInt(4) + "." + r.nextInt(250)).setSummary("bench").build();
    }

    static List<ManagedChannel> channels(int port, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // callbacks on the transport thread (grpc-java's direct executor): the generator's own cost stays low
            channels.add(ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
                    .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build());
        }
        return channels;
    }

    /** {@link #CONCURRENCY} unary Signal calls in flight, round robin over the channels; signals per second. */
    static double unary(List<AlertsGrpc.AlertsFutureStub> stubs, Duration duration) throws InterruptedException {
        return Loops.closed(CONCURRENCY, i -> stubs.get(i % stubs.size()).signal(failed()), duration);
    }

    /**
     * What Redis allows with this rule set: per signal, the one EVALSHA of alert-service's correlation script that the
     * service sends (the seen-check and the event_count ops of the 2 or 3 correlations that a user's failed login
     * feeds), on one pipelined connection from this process, {@link #CONCURRENCY} in flight.
     */
    static double directScript(Path root, String redisUrl, Duration duration) throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            io.vertx.redis.client.RedisConnection redis = io.vertx.redis.client.Redis.createClient(vertx,
                    new io.vertx.redis.client.RedisOptions().setConnectionString(redisUrl).setMaxWaitingHandlers(4096)).connect()
                    .toCompletionStage().toCompletableFuture().get();
            String script = Files.readString(root.resolve("alert-service/src/main/resources/lua/correlate.lua"));
            String sha = redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SCRIPT).arg("LOAD").arg(script))
                    .toCompletionStage().toCompletableFuture().get().toString();
            java.util.function.IntFunction<com.google.common.util.concurrent.ListenableFuture<?>> call = i -> {
                SecuritySignal signal = failed();
                String user = signal.getLabelsOrThrow("user");
                int suffix = user.charAt(user.length() - 1) - '0';
                List<Integer> correlations = new ArrayList<>();
                for (int r = suffix; r < RULES; r += 10) {
                    correlations.add(r);
                }
                io.vertx.redis.client.Request request = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.EVALSHA).arg(sha)
                        .arg(1 + 3 * correlations.size()).arg("sekisho:alert:seen:" + signal.getSignalId());
                for (int r : correlations) {
                    String base = "sekisho:alert:c:bench-correlation-" + r + ":" + user;
                    request.arg(base).arg(base + ":f").arg(base + ":e");
                }
                request.arg(signal.getSignalId()).arg(System.currentTimeMillis()).arg(signal.getSignalId() + "||").arg(correlations.size());
                for (int ignored : correlations) {
                    request.arg("count").arg(60_000).arg(100_000).arg("").arg("");
                }
                request.arg(86_400);
                com.google.common.util.concurrent.SettableFuture<Object> answered = com.google.common.util.concurrent.SettableFuture.create();
                redis.send(request).onSuccess(answered::set).onFailure(answered::setException);
                return answered;
            };
            Loops.closed(CONCURRENCY, call, WARMUP);
            return Loops.closed(CONCURRENCY, call, duration);
        } finally {
            vertx.close();
        }
    }

    /** {@link #STREAMS} streams, each keeping at most 256 signals unacknowledged (the server's own flow control does the rest). */
    static double streamed(List<ManagedChannel> channels, Duration duration) throws InterruptedException {
        AtomicLong acked = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean(true);
        CountDownLatch finished = new CountDownLatch(STREAMS);
        long start = System.nanoTime();
        for (int s = 0; s < STREAMS; s++) {
            Semaphore window = new Semaphore(256);
            ManagedChannel channel = channels.get(s % channels.size());
            Thread.startVirtualThread(() -> {
                ClientCallStreamObserver<SecuritySignal>[] out = new ClientCallStreamObserver[1];
                CountDownLatch closed = new CountDownLatch(1);
                AlertsGrpc.newStub(channel).signalStream(new ClientResponseObserver<SecuritySignal, SignalAck>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SecuritySignal> requests) {
                        out[0] = requests;
                    }

                    @Override
                    public void onNext(SignalAck ack) {
                        if (measuring.get()) {
                            acked.incrementAndGet();
                        }
                        window.release();
                    }

                    @Override
                    public void onError(Throwable t) {
                        Loops.refused.incrementAndGet();
                        System.out.println("stream ended: " + t);
                        closed.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        closed.countDown();
                    }
                });
                long end = System.nanoTime() + duration.toNanos();
                try {
                    while (System.nanoTime() < end && closed.getCount() > 0) {
                        if (window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                            out[0].onNext(failed());
                        }
                    }
                    out[0].onCompleted();
                    closed.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    finished.countDown();
                }
            });
        }
        Thread.sleep(duration.toMillis());
        measuring.set(false);
        long counted = acked.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        finished.await(60, TimeUnit.SECONDS);
        return counted / seconds;
    }

    /** One signal every 100 ms that fires a rule routed to the webhook with group_wait 0; the time to its arrival. */
    static Histogram latency(AlertsGrpc.AlertsFutureStub stub, Map<String, Long> arrived) throws Exception {
        ConcurrentHistogram histogram = new ConcurrentHistogram(3);
        Map<String, Long> sent = new ConcurrentHashMap<>();
        for (int i = 0; i < PROBES; i++) {
            String probe = "p" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            Instant now = Instant.now();
            sent.put(probe, System.nanoTime());
            stub.signal(SecuritySignal.newBuilder().setSignalId(UUID.randomUUID().toString()).setKind("integration.failed")
                    .setSeverity(Severity.SEVERITY_WARNING).setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond())
                            .setNanos(now.getNano())).putLabels("probe", probe).build());
            Thread.sleep(100);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (arrived.size() < PROBES && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        for (Map.Entry<String, Long> probe : sent.entrySet()) {
            Long at = arrived.get(probe.getKey());
            if (at != null) {
                histogram.recordValue(at - probe.getValue());
            } else {
                Loops.refused.incrementAndGet();
            }
        }
        return histogram;
    }

    /** Alerts per second that Alertmanager accepts, {@code batch} per request, {@link #CONCURRENCY} requests in flight. */
    static double alertmanagerLoop(HttpClient http, URI uri, int batch, Duration duration) throws InterruptedException {
        Semaphore inFlight = new Semaphore(CONCURRENCY);
        AtomicLong accepted = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        while (System.nanoTime() < end) {
            inFlight.acquire();
            StringBuilder body = new StringBuilder("[");
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 0; i < batch; i++) {
                if (i > 0) {
                    body.append(',');
                }
                body.append("{\"labels\":{\"alertname\":\"bench-rule-").append(r.nextInt(RULES)).append("\",\"user\":\"user-")
                        .append(r.nextInt(USERS / 10)).append('-').append(r.nextInt(10)).append("\",\"ip\":\"198.51.").append(r.nextInt(4))
                        .append('.').append(r.nextInt(250)).append("\"},\"annotations\":{\"summary\":\"bench\"}}");
            }
            body.append(']');
            http.sendAsync(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, failure) -> {
                        if (failure == null && response.statusCode() == 200) {
                            accepted.addAndGet(batch);
                        } else {
                            Loops.refused.incrementAndGet();
                        }
                        inFlight.release();
                    });
        }
        long counted = accepted.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        inFlight.acquire(CONCURRENCY);
        return counted / seconds;
    }
}
